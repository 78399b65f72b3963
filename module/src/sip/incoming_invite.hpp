// What the SIP side reads from an INVITE that starts a call, as plain values: which
// binding it is for, who calls, and whether its offer can be bridged. Pure: reads the
// decoded message and nothing else, so it can be fuzzed from raw bytes
// (fuzz/sip_request).
#pragma once

#include <optional>
#include <string>
#include <string_view>

struct sip_msg;

namespace sylk::sip {

// The user of the Request-URI: the Contact user of the binding the call is for.
std::string invite_contact_user(const struct sip_msg &invite);

// Who calls, as the browser is told (CallUpdate::incoming).
struct IncomingCaller {
    std::string originator;                   // From's user@host
    std::optional<std::string> display_name;  // From's display name, as written (quoted-pairs kept)
    std::string sdp;                          // the body
};
IncomingCaller describe_incoming_invite(const struct sip_msg &invite);

// Why an INVITE with this body is answered 488 ("no SDP offer", "no media that can be
// bridged"), or nothing when its offer has audio or video over RTP the gateway can carry.
std::optional<std::string> incoming_offer_refusal(std::string_view body);

}  // namespace sylk::sip
