// What crosses between the gateway (web thread) and the SIP agent (libre thread)
// about calls. Plain values, moved across: each side keeps its own state.
#pragma once

#include "sip/registration_types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sylk::sip {

// One call, named by the gateway for calls it places and by the SIP agent for calls
// that arrive (kIncomingCallBit set), so the two never collide.
using CallId = std::uint64_t;
inline constexpr CallId kIncomingCallBit = CallId(1) << 63;

struct OutgoingCallSpec {
    CallId id = 0;
    BindingId binding = 0;  // the account placing it (its contact, if registered, is reused)
    std::string user;       // of the account
    std::string domain;
    std::string ha1;
    std::optional<std::string> display_name;
    std::string target;  // "sip:bob@example.com"
    std::string sdp;     // the offer for the phone (plain RTP)
    // Realms whose INVITE challenges are answered: the account's domain always, and the
    // realm its registrar challenged in (filled by the SIP side).
    std::vector<std::string> realms;
    std::string owner;  // the client's address: INVITEs waiting for the window take turns by it
    std::string extra_headers;  // whole header lines ("X-A: b\r\n"), checked by the client's dialect
};

// What a call reports; every call ends with exactly one `ended`.
struct CallUpdate {
    enum class Kind {
        incoming,  // a new call for `binding`; `sdp` is the phone's offer (empty: none)
        progress,  // a 1xx other than 100 (`sdp`: an early media answer, if any)
        answered,  // 2xx to our INVITE; `sdp`: the phone's answer (empty when it came early)
        confirmed, // the ACK for our 200 OK to an incoming call arrived (`sdp`: its answer, if any)
        dtmf,      // the phone sent a digit (SIP INFO): `dtmf_digit`, `dtmf_duration_ms`
        // Answered calls only (DialogUpdates):
        reoffer,         // the phone's re-INVITE or UPDATE: `sdp` (empty: it asks for our offer), `update_seq`
        reoffer_acked,   // the ACK to our 200 for a re-INVITE without SDP: `sdp`, its answer
        reoffer_expired, // no answer to `update_seq` in time: the phone got 488
        update_answered, // our re-INVITE's final answer: `status`, `reason`, `sdp` (2xx)
        ended,     // `reason` is "CODE Reason"
    };
    CallId id = 0;
    Kind kind = Kind::ended;
    BindingId binding = 0;        // incoming only
    std::string originator;       // incoming only: user@domain of the caller
    std::optional<std::string> display_name;  // incoming only
    std::string sdp;
    // progress and answered: the To tag, which names the early dialog (a fork) it came in.
    std::string dialog_tag;
    std::string reason;
    char dtmf_digit = '0';
    unsigned dtmf_duration_ms = 0;
    bool was_answered = false;    // ended only: whether the call had been answered
    std::uint32_t update_seq = 0;  // reoffer, reoffer_acked: names the offer in CallControl::answer_update
    std::uint16_t status = 0;      // update_answered, progress (the 1xx's code)
    std::string call_id;           // incoming, progress, answered: the SIP Call-ID
    std::vector<std::pair<std::string, std::string>> headers;  // incoming, answered: the message's headers
};

// Receives call updates on the SIP thread; an implementation hands them to its own
// thread without losing them (gateway::WebThreadRelay).
class CallListener {
public:
    virtual ~CallListener() = default;
    virtual void call_changed(const CallUpdate &update) = 0;
};

}  // namespace sylk::sip
