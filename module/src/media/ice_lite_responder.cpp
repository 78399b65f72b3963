#include "media/ice_lite_responder.hpp"

#include <cstring>
#include <string_view>

namespace sylk::media {

namespace {

const std::uint8_t *key_of(const std::string &pwd) { return reinterpret_cast<const std::uint8_t *>(pwd.data()); }

}  // namespace

IceLiteResponder::IceLiteResponder(std::string local_ufrag, std::string local_pwd)
    : local_ufrag_(std::move(local_ufrag)), local_pwd_(std::move(local_pwd)) {}

IceLiteResponder::Outcome IceLiteResponder::reject(const struct stun_msg *request, std::uint16_t code,
                                                   const char *reason, bool with_integrity,
                                                   RePtr<struct mbuf> &reply) const {
    reply.reset(mbuf_alloc(256));
    if (!reply) return Outcome::dropped;
    struct stun_errcode error {code, const_cast<char *>(reason)};
    // A 401 answers a request whose credentials failed: it cannot carry integrity.
    int err = stun_msg_encode(reply.get(), STUN_METHOD_BINDING, STUN_CLASS_ERROR_RESP, stun_msg_tid(request), &error,
                              with_integrity ? key_of(local_pwd_) : nullptr, with_integrity ? local_pwd_.size() : 0,
                              true, 0x20, 0);
    if (err) {
        reply.reset();
        return Outcome::dropped;
    }
    reply->pos = 0;
    return Outcome::rejected;
}

IceLiteResponder::Outcome IceLiteResponder::handle(const struct sa &source, struct mbuf *packet, std::uint64_t now_ms,
                                                   RePtr<struct mbuf> &reply) {
    reply.reset();
    struct stun_msg *decoded = nullptr;
    std::size_t start = packet->pos;
    if (stun_msg_decode(&decoded, packet, nullptr) != 0) return Outcome::dropped;
    packet->pos = start;
    RePtr<struct stun_msg> request(decoded);

    // ICE requires FINGERPRINT on every check (RFC 8445 7.2.2); without it, or with a
    // wrong one, the packet is not ours to answer.
    if (!stun_msg_mcookie(request.get()) || !stun_msg_attr(request.get(), STUN_ATTR_FINGERPRINT) ||
        stun_msg_chk_fingerprint(request.get()) != 0)
        return Outcome::dropped;
    if (stun_msg_method(request.get()) != STUN_METHOD_BINDING) return Outcome::dropped;
    if (stun_msg_class(request.get()) == STUN_CLASS_INDICATION) return Outcome::dropped;  // keep-alives
    if (stun_msg_class(request.get()) != STUN_CLASS_REQUEST) return Outcome::dropped;

    const struct stun_attr *username = stun_msg_attr(request.get(), STUN_ATTR_USERNAME);
    const struct stun_attr *integrity = stun_msg_attr(request.get(), STUN_ATTR_MSG_INTEGRITY);
    if (!username || !integrity) return reject(request.get(), 400, "Bad Request", false, reply);

    // USERNAME is "ourufrag:theirufrag" (RFC 8445 7.2.2).
    std::string_view name(username->v.username ? username->v.username : "");
    auto colon = name.find(':');
    bool username_ok = colon != std::string_view::npos && name.substr(0, colon) == local_ufrag_ &&
                       (remote_ufrag_.empty() || name.substr(colon + 1) == remote_ufrag_);
    if (!username_ok || stun_msg_chk_mi(request.get(), key_of(local_pwd_), local_pwd_.size()) != 0)
        return reject(request.get(), 401, "Unauthorized", false, reply);

    // A lite agent is always controlled (RFC 8445 6.1.1) and cannot switch: a peer that
    // says it is controlled too is told of the conflict (7.3.1.1), so that it switches.
    if (stun_msg_attr(request.get(), STUN_ATTR_CONTROLLED))
        return reject(request.get(), 487, "Role Conflict", true, reply);

    reply.reset(mbuf_alloc(256));
    if (!reply) return Outcome::dropped;
    int err = stun_msg_encode(reply.get(), STUN_METHOD_BINDING, STUN_CLASS_SUCCESS_RESP, stun_msg_tid(request.get()),
                              nullptr, key_of(local_pwd_), local_pwd_.size(), true, 0x20, 1,
                              STUN_ATTR_XOR_MAPPED_ADDR, &source);
    if (err) {
        reply.reset();
        return Outcome::dropped;
    }
    reply->pos = 0;

    last_check_ms_ = now_ms;
    if (!last_checked_ || !sa_cmp(&*last_checked_, &source, SA_ALL)) {
        previous_checked_ = last_checked_;
        last_checked_ = source;
    }
    if (stun_msg_attr(request.get(), STUN_ATTR_USE_CAND)) nominated_ = source;
    return Outcome::answered;
}

std::optional<struct sa> IceLiteResponder::browser_address() const { return nominated_ ? nominated_ : last_checked_; }

bool IceLiteResponder::is_checked(const struct sa &address) const {
    for (const auto *known : {&nominated_, &last_checked_, &previous_checked_})
        if (*known && sa_cmp(&**known, &address, SA_ALL)) return true;
    return false;
}

std::vector<struct sa> IceLiteResponder::checked_addresses() const {
    std::vector<struct sa> addresses;
    for (const auto *known : {&nominated_, &last_checked_, &previous_checked_}) {
        if (!*known) continue;
        bool seen = false;
        for (const auto &address : addresses) seen = seen || sa_cmp(&address, &**known, SA_ALL);
        if (!seen) addresses.push_back(**known);
    }
    return addresses;
}

}  // namespace sylk::media
