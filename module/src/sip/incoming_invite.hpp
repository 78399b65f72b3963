// What the SIP side reads from an INVITE that starts a call, as plain values: which
// binding it is for, who calls, and its body (read by the call, not here). Pure: reads the
// decoded message and nothing else, so it can be fuzzed from raw bytes
// (fuzz/sip_request).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

struct sip_msg;

namespace sylk::sip {

// A message's headers as (name, value), in order: at most 64, values cut at 1024 bytes
// (the gateway hands a client those it asked for by prefix).
using HeaderList = std::vector<std::pair<std::string, std::string>>;
HeaderList message_headers(const struct sip_msg &message);

// The user of the Request-URI: the Contact user of the binding the call is for.
std::string invite_contact_user(const struct sip_msg &invite);

// Who calls, as the browser is told (CallUpdate::incoming).
struct IncomingCaller {
    std::string originator;                   // From's user@host
    std::optional<std::string> display_name;  // From's display name, as written (quoted-pairs kept)
    std::string sdp;                          // the body
    std::string call_id;
    HeaderList headers;
};
IncomingCaller describe_incoming_invite(const struct sip_msg &invite);

}  // namespace sylk::sip
