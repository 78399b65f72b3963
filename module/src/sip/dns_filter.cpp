#include "sip/dns_filter.hpp"

#include "sip/dns_answer_check.hpp"

#include <cerrno>

namespace sylk::sip {

namespace {

constexpr std::uint64_t kQueryLifetimeMs = 30000;  // libre gives up long before
constexpr std::size_t kMaxPending = 8192;

std::uint16_t read_id(const struct mbuf &message) {
    const std::uint8_t *data = mbuf_buf(&message);
    return static_cast<std::uint16_t>(data[0] << 8 | data[1]);
}

}  // namespace

DnsFilter::DnsFilter(const access::AddressPolicy &policy, const log::Logger &logger, stats::Counters &counters)
    : policy_(policy), logger_(logger), counters_(counters) {}

DnsFilter::~DnsFilter() {
    mem_deref(resolver_side_);
    mem_deref(server_side_v4_);
    mem_deref(server_side_v6_);
}

int DnsFilter::start(const struct sa *servers, std::uint32_t count) {
    servers_.assign(servers, servers + count);
    struct sa local;
    sa_set_str(&local, "127.0.0.1", 0);
    if (int err = udp_listen(&resolver_side_, &local, from_resolver, this)) return err;
    if (int err = udp_local_get(resolver_side_, &address_)) return err;
    for (const auto &server : servers_) {
        bool v6 = sa_af(&server) == AF_INET6;
        struct udp_sock *&side = v6 ? server_side_v6_ : server_side_v4_;
        if (side) continue;
        struct sa any;
        sa_set_str(&any, v6 ? "::" : "0.0.0.0", 0);
        if (int err = udp_listen(&side, &any, from_server, this)) return err;
    }
    return 0;
}

bool DnsFilter::is_server(const struct sa &source) const {
    for (const auto &server : servers_)
        if (sa_cmp(&server, &source, SA_ALL)) return true;
    return false;
}

// A query from libre's resolver goes to every server; the first answer wins.
void DnsFilter::from_resolver(const struct sa *source, struct mbuf *message, void *arg) {
    auto *self = static_cast<DnsFilter *>(arg);
    // Only libre's resolver, on this host's loopback, may use the relay.
    if (!sa_is_loopback(source) || mbuf_get_left(message) < 12) return;
    std::uint64_t now = tmr_jiffies();
    if (self->pending_.size() >= kMaxPending)
        for (auto it = self->pending_.begin(); it != self->pending_.end();)
            it = now - it->second.asked_ms > kQueryLifetimeMs ? self->pending_.erase(it) : std::next(it);
    if (self->pending_.size() >= kMaxPending) return;  // libre's query times out: it says so
    self->pending_[read_id(*message)] = {*source, now};
    std::size_t start = message->pos;
    for (const auto &server : self->servers_) {
        message->pos = start;
        struct udp_sock *side = sa_af(&server) == AF_INET6 ? self->server_side_v6_ : self->server_side_v4_;
        if (side) (void)udp_send(side, &server, message);
    }
}

void DnsFilter::from_server(const struct sa *source, struct mbuf *message, void *arg) {
    auto *self = static_cast<DnsFilter *>(arg);
    if (!self->is_server(*source) || mbuf_get_left(message) < 12) return;
    self->answer(*message);
}

void DnsFilter::answer(struct mbuf &message) {
    auto pending = pending_.find(read_id(message));
    if (pending == pending_.end()) return;  // answered already by another server, or never asked
    DnsVerdict verdict = check_dns_response(mbuf_buf(&message), mbuf_get_left(&message), policy_);
    if (!verdict.well_formed) return;
    struct sa resolver = pending->second.resolver;
    pending_.erase(pending);
    if (!verdict.refusal) {
        (void)udp_send(resolver_side_, &resolver, &message);
        return;
    }
    counters_.refused(stats::Refusal::destination_address);
    if (std::string line = refusal_log_.admit("DNS answer refused: " + *verdict.refusal); !line.empty())
        logger_.info(line);
    struct mbuf *refused = mbuf_alloc(verdict.refused.size());
    if (!refused) return;
    (void)mbuf_write_mem(refused, verdict.refused.data(), verdict.refused.size());
    refused->pos = 0;
    (void)udp_send(resolver_side_, &resolver, refused);
    mem_deref(refused);
}

}  // namespace sylk::sip
