// What crosses between the gateway (web thread) and the SIP agent (libre thread)
// about registrations. Plain values only: each side copies them into its own thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sylk::sip {

using BindingId = std::uint64_t;  // one account on one connection

enum class RegistrationState { registering, registered, unregistered, failed };

const char *to_string(RegistrationState state);

struct BindingSpec {
    BindingId id = 0;
    std::string user;    // of user@domain
    std::string domain;  // as the client wrote it
    std::string ha1;
    std::optional<std::string> display_name;
    std::string owner;  // the client's address: REGISTERs waiting for the window take turns by it
    std::string user_agent;  // empty: the gateway's own
    // Contact URI parameters (push: pn_app, pn_tok, ...), names and values as the client
    // gave them; escaped when written.
    std::vector<std::pair<std::string, std::string>> contact_params;
};

struct RegistrationUpdate {
    BindingId binding = 0;
    RegistrationState state = RegistrationState::registering;
    std::string reason;  // "CODE Reason" or a local reason; empty unless failed
};

// Called on the libre thread for each Registration; SipAgent forwards to the listener.
using RegistrationSink = std::function<void(const RegistrationUpdate &)>;

// Receives every registration change on the SIP thread. An implementation hands the
// update to its own thread without losing it (gateway::WebThreadRelay posts it onto
// the web thread).
class RegistrationListener {
public:
    virtual ~RegistrationListener() = default;
    virtual void registration_changed(const RegistrationUpdate &update) = 0;
};

}  // namespace sylk::sip
