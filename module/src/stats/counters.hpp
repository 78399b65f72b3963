// Totals the host can read at any time through the stats call, and that /metrics shows,
// from any thread: every field is an atomic, written with relaxed order.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sylk::stats {

// Why something a client or a SIP peer asked for was refused: one counter each.
enum class Refusal : std::size_t {
    max_connections,
    max_connections_per_ip,
    max_accounts_per_connection,
    max_calls_per_connection,
    max_call_setups_per_connection,
    max_calls,
    max_media_lines,
    max_requests_per_second,
    max_send_queue_bytes,
    call_setup_timeout,
    unregistered_call,    // allow_unregistered_calls is off
    destination_address,  // a call target or registrar inside the networks refused
    media_address,        // a phone's SDP address inside them: only learnt from, never sent to
    incoming_source,      // an INVITE that did not come from the binding's registrar
    count_
};

// The name /metrics gives each refusal (the setting's name where there is one).
inline const char *refusal_name(Refusal refusal) {
    static const char *const names[] = {
        "max_connections",  "max_connections_per_ip", "max_accounts_per_connection", "max_calls_per_connection",
        "max_call_setups_per_connection", "max_calls", "max_media_lines", "max_requests_per_second",
        "max_send_queue_bytes", "call_setup_timeout", "unregistered_call", "destination_address", "media_address",
        "incoming_source"};
    static_assert(sizeof names / sizeof names[0] == static_cast<std::size_t>(Refusal::count_));
    return names[static_cast<std::size_t>(refusal)];
}

struct Counters {
    using Total = std::atomic<std::uint64_t>;

    std::atomic<std::size_t> connections{0};
    std::atomic<std::size_t> accounts{0};
    std::atomic<std::size_t> sessions{0};
    std::atomic<std::size_t> requests{0};

    // Registration outcomes as the registrar answered them.
    Total registrations_registered{0};
    Total registrations_failed{0};
    Total registrations_unregistered{0};
    // Calls that ended, by direction and whether they had been answered.
    Total calls_outgoing_answered{0};
    Total calls_outgoing_unanswered{0};
    Total calls_incoming_answered{0};
    Total calls_incoming_unanswered{0};

    std::array<Total, static_cast<std::size_t>(Refusal::count_)> refusals{};

    void refused(Refusal refusal) {
        refusals[static_cast<std::size_t>(refusal)].fetch_add(1, std::memory_order_relaxed);
    }
    // Counts a refusal by a limit and gives the client's error: "limit reached: NAME (VALUE)".
    std::string limit_reached(Refusal limit, std::size_t value) {
        refused(limit);
        return "limit reached: " + std::string(refusal_name(limit)) + " (" + std::to_string(value) + ")";
    }
};

}  // namespace sylk::stats
