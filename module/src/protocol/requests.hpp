// The requests a client may send, as typed values: sylkRTC-1's, and sylkRTC-2's that
// the gateway carries out (docs/protocol.md).
#pragma once

#include "protocol/account_address.hpp"
#include "protocol/events.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sylk::protocol {

struct AddAccount {
    std::string account;
    AccountAddress address;  // the account's parts, parsed once by the decoder
    std::string ha1;  // the "password" field (the password itself if password_is_plain): never logged
    std::optional<std::string> display_name;
    // sylkRTC-2 only:
    bool password_is_plain = false;  // `ha1` holds a plain password (the app's ha1:false)
    std::optional<std::string> user_agent;          // the User-Agent of its REGISTERs and INVITEs
    std::vector<std::string> incoming_header_prefixes;  // which headers of its calls it is told
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
    Headers headers;  // sylkRTC-2: added to the INVITE
};
struct SessionAnswer {
    std::string session;
    std::string sdp;
    Headers headers;  // sylkRTC-2: added to the 200
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

// sylkRTC-2's liveness check, every 5 s: acknowledged.
struct Ping {};
// sylkRTC-2's push token for an account: sent as Contact parameters of its next REGISTER.
struct DeviceToken {
    std::string account;
    std::string token;
    std::string platform;
    std::string device;
    std::string app;
    bool silent = false;
};
// sylkRTC-2's address book: the gateway keeps none, so it is always empty.
struct FetchAddressbook {
    std::string account;
};
// sylkRTC-2's public key lookup: the gateway keeps no keys.
struct LookupPublicKey {
    std::string uri;
};
// A sylkRTC-2 request of a feature this gateway does not carry (messaging, video rooms):
// answered with an error that says so, so the app degrades instead of waiting.
struct Unsupported {
    std::string name;
};

using Request = std::variant<AddAccount, RemoveAccount, RegisterAccount, UnregisterAccount,
                             SessionCreate, SessionAnswer, SessionTrickle, SessionTerminate, SessionDtmf,
                             SessionUpdate, Ping, DeviceToken, FetchAddressbook, LookupPublicKey, Unsupported>;

}  // namespace sylk::protocol
