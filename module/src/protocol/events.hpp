// What the gateway tells a client, as typed values; each dialect writes them its way
// (protocol/encoder.hpp), or not at all where it has no words for one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sylk::protocol {

// A SIP header handed to or from a client (sylkRTC-2's `headers`).
struct Header {
    std::string name;
    std::string value;
};
using Headers = std::vector<Header>;

struct ReadyEvent {};
struct RegistrationStateEvent {
    std::string account;
    std::string state;   // registering, registered, unregistered, failed
    std::string reason;  // failed only
};
struct IncomingSessionEvent {
    std::string account;
    std::string session;
    std::string originator;  // user@domain of the caller
    std::optional<std::string> display_name;
    std::string sdp;
    std::string call_id;  // the INVITE's Call-ID
    Headers headers;      // the INVITE's headers the account asked for (incoming_header_prefixes)
};
struct MissedSessionEvent {
    std::string account;
    std::string session;
    std::string originator;
    std::optional<std::string> display_name;
};
// An outgoing call's INVITE went out (sylkRTC-2's first `progress`).
struct SessionPlacedEvent {
    std::string session;
};
// A 1xx from the phone: `code`, and the browser's early answer with the first one that
// brought early media.
struct SessionProgressEvent {
    std::string session;
    std::uint16_t code = 180;
    std::string early_answer;
    std::string call_id;
};
// accepted, established, terminated.
struct SessionStateEvent {
    std::string session;
    std::string state;
    std::string sdp;     // accepted: the browser's answer (outgoing calls)
    std::string reason;  // terminated: "CODE Reason"
    bool answer_given_early = false;  // accepted: the early answer stands (sylkRTC-2 sends no sdp then)
    std::string call_id;              // accepted
    Headers headers;                  // accepted: the 2xx's headers the account asked for
};
struct SessionDtmfEvent {
    std::string session;
    char digit = '0';
    unsigned duration_ms = 0;
};
// The phone changed the session (originator "remote", empty state: told, nothing to
// answer), offered something the browser must answer (remote, "received"), or the
// browser's session-update was answered (local, "accepted" or "failed").
struct SessionUpdateEvent {
    std::string session;
    std::string originator;
    std::string state;
    bool hold = false;
    std::string sdp;
    std::string reason;
};
struct AddressbookFetchedEvent {
    std::string account;
};
struct PublicKeyEvent {
    std::string uri;  // the gateway keeps no keys: always without one
};

using Event = std::variant<ReadyEvent, RegistrationStateEvent, IncomingSessionEvent, MissedSessionEvent,
                           SessionPlacedEvent, SessionProgressEvent, SessionStateEvent, SessionDtmfEvent,
                           SessionUpdateEvent, AddressbookFetchedEvent, PublicKeyEvent>;

}  // namespace sylk::protocol
