// A DNS relay between libre's resolver and the real DNS servers, on the SIP thread:
// libre asks it (on 127.0.0.1, a port of its own), it asks the servers, and every answer
// passes check_dns_response() on its way back. libre 1.1.0 resolves a call's target
// (RFC 3263) inside sipsess and connects at once, with no hook between the answer and
// the send; this is the hook. Over UDP only: a truncated answer reaches libre as is and
// its retry over TCP finds nobody, so the lookup fails rather than go unchecked.
#pragma once

#include "access/address_policy.hpp"
#include "stats/counters.hpp"
#include "log/log_budget.hpp"
#include "log/logger.hpp"

#include <re.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace sylk::sip {

class DnsFilter {
public:
    DnsFilter(const access::AddressPolicy &policy, const log::Logger &logger, stats::Counters &counters);
    ~DnsFilter();
    DnsFilter(const DnsFilter &) = delete;
    DnsFilter &operator=(const DnsFilter &) = delete;

    // Starts relaying to `servers`; returns 0 or an errno value. address() is then what
    // libre's resolver is to be given as its only server.
    int start(const struct sa *servers, std::uint32_t count);
    const struct sa &address() const { return address_; }

private:
    static void from_resolver(const struct sa *source, struct mbuf *message, void *arg);
    static void from_server(const struct sa *source, struct mbuf *message, void *arg);
    void answer(struct mbuf &message);
    bool is_server(const struct sa &source) const;

    const access::AddressPolicy &policy_;
    const log::Logger &logger_;
    stats::Counters &counters_;
    log::LogBudget refusal_log_;
    struct udp_sock *resolver_side_ = nullptr;  // 127.0.0.1: libre's resolver asks here
    struct udp_sock *server_side_v4_ = nullptr;
    struct udp_sock *server_side_v6_ = nullptr;
    struct sa address_ {};
    std::vector<struct sa> servers_;
    // Queries in flight by DNS id: who asked (libre's socket) and when, so that answers go
    // back and stale entries are dropped. libre's ids are unique among its queries.
    struct Pending {
        struct sa resolver;
        std::uint64_t asked_ms;
    };
    std::unordered_map<std::uint16_t, Pending> pending_;
};

}  // namespace sylk::sip
