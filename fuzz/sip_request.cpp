// Raw bytes from the network -> libre's sip_msg_decode -> what the SIP side reads of a
// request: the binding an INVITE is for (sip::invite_contact_user), who calls
// (sip::describe_incoming_invite, as SipCall reports an incoming call), whether its
// offer can be bridged (the reading call::CallSession::receive makes: sdp::parse and
// sdp::read_phone_offer; 488 otherwise), and the incoming_session event the browser then
// gets (protocol::encode of an IncomingSessionEvent, UTF-8 repaired as the gateway sends it).
// CANCEL, BYE, ACK and re-INVITEs are decoded too (libre's sipsess takes them from there).
#include "check.hpp"
#include "libre_input.hpp"

#include "protocol/encoder.hpp"
#include "sdp/phone_side.hpp"
#include "sip/incoming_invite.hpp"
#include "sip/sip_text.hpp"
#include "text/utf8.hpp"

#include <boost/json.hpp>
#include <re.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

using namespace sylk::sip;  // not `sip::`: libre has a struct sip

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size == 0) return 0;
    sylk::fuzz::DecodedSip decoded_sip(data, size);
    const struct sip_msg *message = decoded_sip.message();
    if (!message || !message->req || pl_strcmp(&message->met, "INVITE") != 0) return 0;

    FUZZ_CHECK(invite_contact_user(*message) == pl_text(message->uri.user));
    IncomingCaller caller = describe_incoming_invite(*message);
    FUZZ_CHECK(caller.originator == pl_text(message->from.uri.user) + "@" + pl_text(message->from.uri.host));
    FUZZ_CHECK(caller.display_name.has_value() == pl_isset(&message->from.dname));
    FUZZ_CHECK(caller.sdp == message_body(message));

    auto parsed = sylk::sdp::parse(caller.sdp);
    auto *description = std::get_if<sylk::sdp::SessionDescription>(&parsed);
    if (!description || !std::holds_alternative<sylk::sdp::PhoneDescription>(sylk::sdp::read_phone_offer(*description)))
        return 0;  // refused with 488, or offerless (empty: the gateway offers its own codecs)
    // Offered to a browser: the event valid JSON whatever bytes the caller's name and
    // address hold. As the gateway sends it: UTF-8 repaired (gateway/gateway.cpp).
    std::string event = sylk::text::utf8_repaired(sylk::protocol::encode(
        sylk::protocol::IncomingSessionEvent{"alice@example.com", "0123456789abcdef", caller.originator,
                                             caller.display_name, "v=0\r\n", caller.call_id, {}},
        sylk::protocol::Dialect::sylkrtc1));
    boost::json::error_code error;
    boost::json::value decoded = boost::json::parse(event, error);
    FUZZ_CHECK(!error && decoded.is_object());
    const auto &event_data = decoded.as_object().at("data").as_object();
    FUZZ_CHECK(event_data.at("originator").is_string());
    FUZZ_CHECK(event_data.contains("display_name") == caller.display_name.has_value());
    return 0;
}
