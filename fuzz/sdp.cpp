// An SDP from outside (a browser's offer or answer in session-create / session-answer,
// a phone's offer or answer in an INVITE or its 200) -> sdp::parse -> the reading the
// gateway does on each side; whatever reads must translate into an SDP that parses
// again and reads back on the other side (what the gateway sends must be valid).
#include "check.hpp"

#include "sdp/browser_side.hpp"
#include "sdp/phone_side.hpp"
#include "sdp/session_description.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

using namespace sylk::sdp;

namespace {

const GatewayWebRtc kWebRtc{"192.0.2.1", 40000, "gw12", "gatewaypasswordgatewaypw",
                            "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"};

GatewayRtp rtp_ports(const std::vector<MediaLine> &lines) {
    GatewayRtp rtp{"192.0.2.1", {}};
    for (std::size_t i = 0; i < lines.size(); ++i) rtp.ports.push_back(lines[i].bridged ? 40002 + 2 * i : 0);
    return rtp;
}

SessionDescription reparsed(const SessionDescription &written) {
    auto again = parse(serialize(written));
    FUZZ_CHECK(std::holds_alternative<SessionDescription>(again));
    return std::get<SessionDescription>(std::move(again));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    auto parsed = parse(std::string_view(reinterpret_cast<const char *>(data), size));
    auto *description = std::get_if<SessionDescription>(&parsed);
    if (!description) return 0;

    // As a browser's offer: the phone gets a plain offer it can read as one.
    auto browser_read = read_browser_offer(*description);
    if (auto *browser = std::get_if<BrowserDescription>(&browser_read)) {
        auto phone_offer = reparsed(write_phone_offer(browser->lines, rtp_ports(browser->lines), "1"));
        FUZZ_CHECK(std::holds_alternative<PhoneDescription>(read_phone_offer(phone_offer)));
        // The same SDP read as the phone's answer to that offer, then the browser's answer.
        auto answer_read = read_phone_answer(*description, browser->lines);
        if (auto *answer = std::get_if<PhoneDescription>(&answer_read))
            (void)reparsed(write_browser_answer(browser->lines, answer->lines, kWebRtc, "1"));
    }

    // As a phone's offer: the browser gets a WebRTC offer it can read as one.
    auto phone_read = read_phone_offer(*description);
    if (auto *phone = std::get_if<PhoneDescription>(&phone_read)) {
        auto browser_offer = reparsed(write_browser_offer(phone->lines, kWebRtc, "1"));
        FUZZ_CHECK(std::holds_alternative<BrowserDescription>(read_browser_offer(browser_offer)));
        auto answer_read = read_browser_answer(*description, phone->lines);
        if (auto *answer = std::get_if<BrowserDescription>(&answer_read))
            (void)reparsed(write_phone_answer(phone->lines, answer->lines, rtp_ports(phone->lines), "1"));
    }
    return 0;
}
