#include "sip/incoming_invite.hpp"

#include "sdp/phone_side.hpp"
#include "sdp/session_description.hpp"
#include "sip/sip_text.hpp"

#include <re.h>

#include <variant>

namespace sylk::sip {

std::string invite_contact_user(const struct sip_msg &invite) { return pl_text(invite.uri.user); }

IncomingCaller describe_incoming_invite(const struct sip_msg &invite) {
    IncomingCaller caller;
    caller.originator = pl_text(invite.from.uri.user) + "@" + pl_text(invite.from.uri.host);
    if (pl_isset(&invite.from.dname)) caller.display_name = pl_text(invite.from.dname);
    caller.sdp = message_body(&invite);
    return caller;
}

std::optional<std::string> incoming_offer_refusal(std::string_view body) {
    if (body.empty()) return std::string("no SDP offer");
    auto parsed = sdp::parse(body);
    const auto *description = std::get_if<sdp::SessionDescription>(&parsed);
    if (!description || !std::holds_alternative<sdp::PhoneDescription>(sdp::read_phone_offer(*description)))
        return std::string("no media that can be bridged");
    return std::nullopt;
}

}  // namespace sylk::sip
