// An SDP from outside (a browser's offer or answer in session-create / session-answer,
// a phone's offer or answer in an INVITE or its 200) -> sdp::parse -> the reading the
// gateway does on each side; whatever reads must translate into an SDP that parses
// again and reads back on the other side (what the gateway sends must be valid). And as
// a phone's new offer in the dialog of a call agreed on fixed SDPs (call/media_agreement):
// the answer parses, reads as a phone's description with one m-line per offered one, and
// the relay keeps its lines.
#include "check.hpp"

#include "call/media_agreement.hpp"
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

SessionDescription parse_or_die(const std::string &text) {
    auto parsed = parse(text);
    FUZZ_CHECK(std::holds_alternative<SessionDescription>(parsed));
    return std::get<SessionDescription>(std::move(parsed));
}

SessionDescription reparsed(const SessionDescription &written) {
    auto again = parse(serialize(written));
    FUZZ_CHECK(std::holds_alternative<SessionDescription>(again));
    return std::get<SessionDescription>(std::move(again));
}

// An answered outgoing call: a browser offering PCMU, PCMA and telephone-event with a
// data channel, a phone answering PCMU and telephone-event.
const sylk::call::MediaAgreement &agreed_call() {
    static const sylk::call::MediaAgreement agreement = [] {
        const char *browser =
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 0 8 126\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\n"
            "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\na=rtcp-mux\r\n"
            "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:126 telephone-event/8000\r\na=sendrecv\r\n"
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n";
        const char *phone = "v=0\r\no=phone 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
                            "m=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
        auto offer = std::get<BrowserDescription>(read_browser_offer(std::get<SessionDescription>(parse(browser))));
        auto answer = std::get<PhoneDescription>(read_phone_answer(std::get<SessionDescription>(parse(phone)), offer.lines));
        return sylk::call::agree(offer.lines, answer.lines, answer.peers, true, answer.origin, "");
    }();
    return agreement;
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

    // As the phone's new offer in an answered call's dialog.
    const auto &agreement = agreed_call();
    auto answered = sylk::call::answer_phone_reoffer(agreement, *description, GatewayRtp{"192.0.2.1", {40002, 0}}, "1");
    if (auto *result = std::get_if<sylk::call::ReofferAnswer>(&answered)) {
        auto answer = reparsed(parse_or_die(result->answer));
        FUZZ_CHECK(answer.media.size() == description->media.size());
        FUZZ_CHECK(std::holds_alternative<PhoneDescription>(read_phone_offer(answer)) ||
                   result->agreement.lines.front().codecs.empty());
        FUZZ_CHECK(sylk::call::agreed_relay_lines(result->agreement, {40000, {40002}}).size() == 1);
    }
    return 0;
}
