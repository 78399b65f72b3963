// The requests a client may send, as typed values (sylkRTC-1, sections 4 and 5).
#pragma once

#include "protocol/account_address.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sylk::protocol {

struct AddAccount {
    std::string account;
    AccountAddress address;  // the account's parts, parsed once by the decoder
    std::string ha1;  // the "password" field: never logged
    std::optional<std::string> display_name;
};
struct RemoveAccount {
    std::string account;
};
struct RegisterAccount {
    std::string account;
};
struct UnregisterAccount {
    std::string account;
};
struct SessionCreate {
    std::string account;
    std::string session;
    std::string uri;
    std::string sdp;
};
struct SessionAnswer {
    std::string session;
    std::string sdp;
};
struct IceCandidate {
    std::string candidate;
    std::optional<std::string> sdp_mid;
    std::optional<unsigned> sdp_mline_index;
};
struct SessionTrickle {
    std::string session;
    std::vector<IceCandidate> candidates;  // empty: end of candidates
};
struct SessionTerminate {
    std::string session;
};
// A DTMF digit sent as SIP INFO (sylkRTC-2's session-dtmf-info, taken in sylkRTC-1 too).
struct SessionDtmf {
    std::string session;
    char digit = '0';           // 0-9 * # A-D
    unsigned duration_ms = 0;   // 0: the gateway's default
};

// The browser's new offer for an answered session (hold, resume): sylkRTC-2's
// session-update, taken in sylkRTC-1 too. Answered by an `update` event.
struct SessionUpdate {
    std::string session;
    std::string sdp;
};

using Request = std::variant<AddAccount, RemoveAccount, RegisterAccount, UnregisterAccount,
                             SessionCreate, SessionAnswer, SessionTrickle, SessionTerminate, SessionDtmf,
                             SessionUpdate>;

}  // namespace sylk::protocol
