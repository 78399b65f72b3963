// call::MediaAgreement on its own: what the two sides of an answered call agreed, and
// how every later offer in the dialog (the phone's re-INVITE, our offer for the
// browser's hold) is read against it. The SDPs are written as a phone or a browser
// writes them and read the way the call reads them (sdp::read_*).
#include "call/media_agreement.hpp"
#include "recording_sides.hpp"
#include "sdp/browser_side.hpp"
#include "sdp/phone_side.hpp"
#include "sdp/session_description.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace sylk;
using call::MediaAgreement;
using testing::fixture_sdp;

namespace {

const std::string kGatewayAddress = "198.51.100.1";
const std::string kSessionId = "7";

sdp::SessionDescription parsed(const std::string &text) {
    auto result = sdp::parse(text);
    BOOST_TEST_REQUIRE(std::holds_alternative<sdp::SessionDescription>(result));
    return std::get<sdp::SessionDescription>(std::move(result));
}

// The version field of an SDP's o= line ("- 7 2 IN IP4 ..." -> 2).
unsigned version_of(const std::string &text) {
    std::istringstream origin(parsed(text).origin());
    std::string user, session;
    unsigned version = 0;
    origin >> user >> session >> version;
    return version;
}

// A browser's offer as Chromium writes it, trimmed: an audio line with opus, PCMU and
// its two telephone-events (`formats` picks which go on the m= line), then a data
// channel, which a phone never sees.
std::string browser_offer(const std::string &direction = "sendrecv", const std::string &formats = "111 0 126 110") {
    return "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
           "a=msid-semantic: WMS\r\n"
           "m=audio 9 UDP/TLS/RTP/SAVPF " + formats + "\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
           "a=ice-ufrag:RstR\r\na=ice-pwd:HAQdeZCdk2EfrLdwLW+utc3O\r\na=ice-options:trickle\r\n"
           "a=fingerprint:sha-256 01:E4:0A:68:05:00:E4:32:59:09:D7:91:46:B1:A7:E7:8E:2F:B7:AF:38:40:AA:28:EB:66:36:61:7E:26:60:DA\r\n"
           "a=setup:actpass\r\na=mid:0\r\na=" + direction + "\r\na=rtcp-mux\r\n"
           "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
           "a=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\na=rtpmap:110 telephone-event/48000\r\n"
           "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sctp-port:5000\r\n";
}

// A phone's SDP: o= of session 4000 at `version`, the connection address at session level.
std::string phone_sdp(unsigned version, const std::string &media, const std::string &address = "192.0.2.10") {
    return "v=0\r\no=- 4000 " + std::to_string(version) + " IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 " + address +
           "\r\nt=0 0\r\n" + media;
}

// An audio line as a phone writes it: PCMU and telephone-event/8000 under `event`;
// no direction attribute when `direction` is empty (sendrecv, as old phones write it).
std::string phone_audio(unsigned port, const std::string &direction = "sendrecv", const std::string &event = "101") {
    std::string line = "m=audio " + std::to_string(port) + " RTP/AVP 0 " + event + "\r\na=rtpmap:0 PCMU/8000\r\n" +
                       "a=rtpmap:" + event + " telephone-event/8000\r\na=fmtp:" + event + " 0-16\r\na=ptime:20\r\n";
    return direction.empty() ? line : line + "a=" + direction + "\r\n";
}

const std::string kPhoneVideo = "m=video 40002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=sendrecv\r\n";

// An answered call: its agreement and the gateway's side towards the phone.
struct AnsweredCall {
    explicit AnsweredCall(sdp::GatewayRtp rtp) : gateway(std::move(rtp)) {}

    // Our answer to the phone's re-offer `text`, read against `from`; it must be given.
    call::ReofferAnswer answer(const MediaAgreement &from, const std::string &text) const {
        auto result = call::answer_phone_reoffer(from, parsed(text), gateway, kSessionId);
        if (auto *problem = std::get_if<std::string>(&result)) BOOST_TEST_FAIL("re-offer refused: " + *problem);
        return std::get<call::ReofferAnswer>(std::move(result));
    }

    sdp::GatewayRtp gateway;
    MediaAgreement agreement;
};

// An outgoing call, answered: the browser offered browser_offer(), the phone answered
// PCMU and its telephone-event 101 at 192.0.2.10:40000.
struct OutgoingCall : AnsweredCall {
    explicit OutgoingCall(const std::string &browser_direction = "sendrecv", const std::string &phone_direction = "sendrecv")
        : AnsweredCall({kGatewayAddress, {50002, 0}}) {  // indexed like the plan: the data channel has no port
        auto offer = sdp::read_browser_offer(parsed(browser_offer(browser_direction)));
        BOOST_TEST_REQUIRE(std::holds_alternative<sdp::BrowserDescription>(offer));
        browser = std::get<sdp::BrowserDescription>(offer).lines;
        std::string first_offer = sdp::serialize(sdp::write_phone_offer(browser, gateway, kSessionId));
        auto answer = sdp::read_phone_answer(parsed(phone_sdp(1, phone_audio(40000, phone_direction))), browser);
        BOOST_TEST_REQUIRE(std::holds_alternative<sdp::PhoneDescription>(answer));
        auto &phone = std::get<sdp::PhoneDescription>(answer);
        agreement = call::agree(browser, phone.lines, phone.peers, true, phone.origin, first_offer);
    }

    std::vector<sdp::MediaLine> browser;
    media::PortReservation ports{50000, {50002}};  // one phone-side port: the audio line's
};

// An outgoing audio and video call (Chromium's own offer) that the phone answered with
// audio only, its video line refused with port 0.
struct AudioOnlyAnswerToVideoCall : AnsweredCall {
    AudioOnlyAnswerToVideoCall() : AnsweredCall({kGatewayAddress, {50002, 50004}}) {
        auto offer = sdp::read_browser_offer(parsed(fixture_sdp("chromium-156-offer-audio-video.sdp")));
        BOOST_TEST_REQUIRE(std::holds_alternative<sdp::BrowserDescription>(offer));
        auto browser = std::get<sdp::BrowserDescription>(offer).lines;
        std::string first_offer = sdp::serialize(sdp::write_phone_offer(browser, gateway, kSessionId));
        auto answer = sdp::read_phone_answer(parsed(phone_sdp(1, phone_audio(40000) + "m=video 0 RTP/AVP 96\r\n")), browser);
        BOOST_TEST_REQUIRE(std::holds_alternative<sdp::PhoneDescription>(answer));
        auto &phone = std::get<sdp::PhoneDescription>(answer);
        agreement = call::agree(browser, phone.lines, phone.peers, true, phone.origin, first_offer);
    }
};

// An incoming call, answered: the phone offered PCMU, PCMA and telephone-event 101
// (its fmtp 0-16) at 192.0.2.20:6004; the browser, without a microphone, answered
// PCMU and 101 (its fmtp 0-15) recvonly.
struct IncomingCall : AnsweredCall {
    IncomingCall() : AnsweredCall({kGatewayAddress, {50002}}) {
        auto offer = sdp::read_phone_offer(parsed(
            "v=0\r\no=user1 53655765 2353687637 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
            "m=audio 6004 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n"));
        BOOST_TEST_REQUIRE(std::holds_alternative<sdp::PhoneDescription>(offer));
        auto &phone = std::get<sdp::PhoneDescription>(offer);
        auto answer = sdp::read_browser_answer(
            parsed("v=0\r\no=- 5 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
                   "m=audio 9 UDP/TLS/RTP/SAVPF 0 101\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:bRWs\r\n"
                   "a=ice-pwd:0123456789abcdefghijklmn\r\na=fingerprint:sha-256 11:22:33\r\na=setup:active\r\n"
                   "a=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"),
            phone.lines);
        BOOST_TEST_REQUIRE(std::holds_alternative<sdp::BrowserDescription>(answer));
        auto &browser = std::get<sdp::BrowserDescription>(answer);
        std::string first_answer = sdp::serialize(sdp::write_phone_answer(phone.lines, browser.lines, gateway, kSessionId));
        agreement = call::agree(phone.lines, browser.lines, phone.peers, false, phone.origin, first_answer);
    }
    media::PortReservation ports{50000, {50002}};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(media_agreement)

// --- RFC 3264 6.1 ---

BOOST_AUTO_TEST_CASE(answer_direction_follows_the_rfc_3264_table) {
    struct Row {
        const char *offered, *wanted, *answered;
    };
    const Row table[] = {
        {"sendrecv", "sendrecv", "sendrecv"}, {"sendonly", "sendrecv", "recvonly"},
        {"recvonly", "sendrecv", "sendonly"}, {"inactive", "sendrecv", "inactive"},
        {"sendrecv", "sendonly", "sendonly"}, {"sendonly", "sendonly", "inactive"},
        {"recvonly", "sendonly", "sendonly"}, {"inactive", "sendonly", "inactive"},
    };
    for (const auto &row : table) {
        BOOST_TEST_CONTEXT("offered " << row.offered << ", wanted " << row.wanted) {
            BOOST_TEST(call::answer_direction(row.offered, row.wanted) == row.answered);
        }
    }
}

// --- The first offer and answer ---

BOOST_AUTO_TEST_CASE(an_outgoing_call_carries_each_codec_under_the_browsers_number_and_the_phones) {
    OutgoingCall call("recvonly", "sendonly");  // a listen-only browser, an announcement
    const MediaAgreement &agreement = call.agreement;
    BOOST_TEST_REQUIRE(agreement.lines.size() == 2u);  // every m-line of the browser's offer
    // Our offer to the phone had the audio line only: the data channel is no phone section.
    BOOST_TEST(agreement.phone_sections == std::vector<std::size_t>{0});
    BOOST_TEST(!agreement.lines[1].carried());
    BOOST_TEST(!agreement.lines[1].relayed);

    const call::AgreedLine &audio = agreement.lines[0];
    BOOST_TEST(audio.relayed);
    BOOST_TEST_REQUIRE(audio.codecs.size() == 2u);  // what the phone chose, not opus or 110
    BOOST_TEST(audio.codecs[0].phone.payload_type == "0");
    BOOST_TEST(int(audio.codecs[0].browser_type) == 0);
    BOOST_TEST(audio.codecs[1].phone.payload_type == "101");  // the phone's own number...
    BOOST_TEST(int(audio.codecs[1].browser_type) == 126);     // ...and the browser's for the same codec
    BOOST_TEST(audio.codecs[1].phone.match_key() == "telephone-event/8000");
    // Each side's direction is what that side said of itself.
    BOOST_TEST(audio.browser_direction == "recvonly");
    BOOST_TEST(audio.phone_direction == "sendonly");
    BOOST_TEST(audio.phone.address == "192.0.2.10");
    BOOST_TEST(audio.phone.port == 40000);
    BOOST_TEST(agreement.phone_origin == "- 4000 1 IN IP4 192.0.2.10");

    auto relay = call::agreed_relay_lines(agreement, call.ports);
    BOOST_TEST_REQUIRE(relay.size() == 1u);
    BOOST_TEST_REQUIRE(relay[0].payload_types.size() == 2u);
    BOOST_TEST(int(relay[0].payload_types[1].browser) == 126);
    BOOST_TEST(int(relay[0].payload_types[1].phone) == 101);
    BOOST_TEST(relay[0].payload_types[1].clock_rate == 8000u);
    BOOST_TEST(relay[0].phone_port == 50002);
    BOOST_TEST(!relay[0].phone.receives);  // the browser sends nothing to relay
    BOOST_TEST(relay[0].phone.sends);
}

BOOST_AUTO_TEST_CASE(an_incoming_call_carries_the_codecs_as_the_phone_described_them) {
    IncomingCall call;
    const MediaAgreement &agreement = call.agreement;
    BOOST_TEST_REQUIRE(agreement.lines.size() == 1u);
    BOOST_TEST(agreement.phone_sections == std::vector<std::size_t>{0});
    const call::AgreedLine &audio = agreement.lines[0];
    BOOST_TEST_REQUIRE(audio.codecs.size() == 2u);  // what the browser kept: PCMA is not carried
    BOOST_TEST(audio.codecs[0].phone.payload_type == "0");
    BOOST_TEST(audio.codecs[1].phone.payload_type == "101");
    BOOST_TEST(int(audio.codecs[1].browser_type) == 101);  // the browser answered under the phone's numbers
    // The phone's own fmtp, not the browser's: what a later answer to the phone repeats.
    BOOST_TEST(audio.codecs[1].phone.fmtp == std::vector<std::string>{"0-16"});
    BOOST_TEST(audio.phone_direction == "sendrecv");   // its offer
    BOOST_TEST(audio.browser_direction == "recvonly");  // its answer
    BOOST_TEST(audio.phone.address == "192.0.2.20");
    BOOST_TEST(audio.phone.port == 6004);
    BOOST_TEST(agreement.phone_origin == "user1 53655765 2353687637 IN IP4 192.0.2.20");

    auto relay = call::agreed_relay_lines(agreement, call.ports);
    BOOST_TEST_REQUIRE(relay.size() == 1u);
    BOOST_TEST_REQUIRE(relay[0].payload_types.size() == 2u);
    BOOST_TEST(int(relay[0].payload_types[1].browser) == 101);
    BOOST_TEST(int(relay[0].payload_types[1].phone) == 101);
    BOOST_TEST(!relay[0].phone.receives);  // the browser sends nothing to relay
    BOOST_TEST(relay[0].phone.sends);
}

// --- The phone's re-offers ---

BOOST_AUTO_TEST_CASE(a_phone_holding_with_sendonly_is_answered_recvonly_and_gets_no_more_rtp) {
    OutgoingCall call;
    BOOST_TEST(!call.agreement.held_by_phone());
    auto hold = call.answer(call.agreement, phone_sdp(2, phone_audio(40000, "sendonly")));
    auto ours = parsed(hold.answer);
    BOOST_TEST_REQUIRE(ours.media.size() == 1u);
    BOOST_TEST(ours.media[0].port == 50002);
    BOOST_TEST(sdp::read_direction(ours.media[0]) == "recvonly");
    BOOST_TEST(version_of(hold.answer) == call.agreement.local_version + 1);  // a new description
    BOOST_TEST(hold.agreement.local_version == call.agreement.local_version + 1);
    BOOST_TEST(hold.agreement.local_description == hold.answer);
    BOOST_TEST(hold.agreement.phone_origin == "- 4000 2 IN IP4 192.0.2.10");  // a later refresh repeats this one
    BOOST_TEST(hold.agreement.held_by_phone());

    auto relay = call::agreed_relay_lines(hold.agreement, call.ports);
    BOOST_TEST_REQUIRE(relay.size() == 1u);
    BOOST_TEST(!relay[0].phone.receives);  // no RTP to a phone that does not receive
    BOOST_TEST(relay[0].phone.sends);      // its music on hold still reaches the browser
    BOOST_TEST(relay[0].phone.port == 40000);
}

BOOST_AUTO_TEST_CASE(a_phone_going_inactive_is_answered_inactive_and_nothing_flows_either_way) {
    OutgoingCall call;
    auto inactive = call.answer(call.agreement, phone_sdp(2, phone_audio(40000, "inactive")));
    auto ours = parsed(inactive.answer);
    BOOST_TEST_REQUIRE(ours.media.size() == 1u);
    BOOST_TEST(sdp::read_direction(ours.media[0]) == "inactive");
    BOOST_TEST(inactive.agreement.held_by_phone());
    auto relay = call::agreed_relay_lines(inactive.agreement, call.ports);
    BOOST_TEST_REQUIRE(relay.size() == 1u);
    BOOST_TEST(!relay[0].phone.receives);
    BOOST_TEST(!relay[0].phone.sends);  // its silence is no RTP timeout
}

BOOST_AUTO_TEST_CASE(a_phone_resuming_after_hold_is_answered_sendrecv_under_the_next_version) {
    OutgoingCall call;
    auto hold = call.answer(call.agreement, phone_sdp(2, phone_audio(40000, "sendonly")));
    auto resume = call.answer(hold.agreement, phone_sdp(3, phone_audio(40000, "sendrecv")));
    auto ours = parsed(resume.answer);
    BOOST_TEST_REQUIRE(ours.media.size() == 1u);
    BOOST_TEST(sdp::read_direction(ours.media[0]) == "sendrecv");
    BOOST_TEST(version_of(resume.answer) == version_of(hold.answer) + 1);
    BOOST_TEST(!resume.agreement.held_by_phone());
    auto relay = call::agreed_relay_lines(resume.agreement, call.ports);
    BOOST_TEST_REQUIRE(relay.size() == 1u);
    BOOST_TEST(relay[0].phone.receives);
    BOOST_TEST(relay[0].phone.sends);
}

BOOST_AUTO_TEST_CASE(an_rfc_2543_hold_to_0_0_0_0_keeps_the_line_but_sends_nothing_to_the_phone) {
    OutgoingCall call;
    auto hold = call.answer(call.agreement, phone_sdp(2, phone_audio(40000, ""), "0.0.0.0"));
    auto ours = parsed(hold.answer);
    BOOST_TEST_REQUIRE(ours.media.size() == 1u);
    BOOST_TEST(ours.media[0].port == 50002);  // answered, not refused: the stream is not removed
    BOOST_TEST(ours.media[0].formats == std::vector<std::string>({"0", "101"}));
    auto relay = call::agreed_relay_lines(hold.agreement, call.ports);
    BOOST_TEST_REQUIRE(relay.size() == 1u);
    BOOST_TEST(relay[0].phone.port == 0);  // 0.0.0.0 names no destination (RFC 3264 8.4)
    BOOST_TEST(relay[0].phone_port == 50002);
}

BOOST_AUTO_TEST_CASE(a_new_address_port_and_event_number_move_the_relay_and_keep_the_browsers_number) {
    OutgoingCall call;
    auto moved = call.answer(call.agreement, phone_sdp(2, phone_audio(41000, "sendrecv", "96"), "192.0.2.11"));
    auto ours = parsed(moved.answer);
    BOOST_TEST_REQUIRE(ours.media.size() == 1u);
    BOOST_TEST(ours.media[0].formats == std::vector<std::string>({"0", "96"}));  // answered under the offer's numbers
    auto relay = call::agreed_relay_lines(moved.agreement, call.ports);
    BOOST_TEST_REQUIRE(relay.size() == 1u);
    BOOST_TEST(relay[0].phone.address == "192.0.2.11");
    BOOST_TEST(relay[0].phone.port == 41000);
    BOOST_TEST_REQUIRE(relay[0].payload_types.size() == 2u);
    BOOST_TEST(int(relay[0].payload_types[0].browser) == 0);
    BOOST_TEST(int(relay[0].payload_types[0].phone) == 0);
    BOOST_TEST(int(relay[0].payload_types[1].browser) == 126);  // the browser was not asked: its number stays
    BOOST_TEST(int(relay[0].payload_types[1].phone) == 96);
}

BOOST_AUTO_TEST_CASE(a_re_offer_of_only_a_codec_the_browser_never_agreed_is_refused) {
    OutgoingCall call;
    auto result = call::answer_phone_reoffer(
        call.agreement,
        parsed(phone_sdp(2, "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=sendrecv\r\n")),
        call.gateway, kSessionId);
    BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(result));  // 488: carrying G.729 needs the browser
    BOOST_TEST(std::get<std::string>(result).find("audio") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_re_offer_with_fewer_m_lines_than_the_call_is_refused) {
    AudioOnlyAnswerToVideoCall call;
    BOOST_TEST_REQUIRE(call.agreement.phone_sections.size() == 2u);  // audio, and video refused
    auto result = call::answer_phone_reoffer(call.agreement, parsed(phone_sdp(2, phone_audio(40000))), call.gateway,
                                             kSessionId);
    BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(result));  // RFC 3264 8: m-lines are never removed
    BOOST_TEST(std::get<std::string>(result).find("m-lines") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_line_that_stays_refused_is_answered_in_the_transport_the_phone_offered) {
    AudioOnlyAnswerToVideoCall call;
    auto hold = call.answer(call.agreement, phone_sdp(2, phone_audio(40000, "sendonly") + "m=video 0 RTP/AVP 96\r\n"));
    auto ours = parsed(hold.answer);
    BOOST_TEST_REQUIRE(ours.media.size() == 2u);
    BOOST_TEST(sdp::read_direction(ours.media[0]) == "recvonly");
    BOOST_TEST(ours.media[1].port == 0);
    BOOST_TEST(ours.media[1].protocol == "RTP/AVP");  // not the browser's UDP/TLS/RTP/SAVPF
    BOOST_TEST(ours.media[1].formats == std::vector<std::string>{"96"});
}

BOOST_AUTO_TEST_CASE(video_added_by_the_phone_is_refused_with_port_0_and_the_audio_answered) {
    OutgoingCall call;
    auto added = call.answer(call.agreement, phone_sdp(2, phone_audio(40000) + kPhoneVideo));
    auto ours = parsed(added.answer);
    BOOST_TEST_REQUIRE(ours.media.size() == 2u);  // one answered m-line per offered one
    BOOST_TEST(ours.media[0].media == "audio");
    BOOST_TEST(ours.media[0].port == 50002);
    BOOST_TEST(ours.media[1].media == "video");
    BOOST_TEST(ours.media[1].port == 0);  // carrying video would need the browser
    BOOST_TEST(ours.media[1].protocol == "RTP/AVP");
}

BOOST_AUTO_TEST_CASE(our_next_offer_keeps_the_video_line_the_phone_added) {
    // RFC 3264 8: a new SDP has at least as many m-lines as the last one.
    OutgoingCall call;
    auto added = call.answer(call.agreement, phone_sdp(2, phone_audio(40000) + kPhoneVideo));
    MediaAgreement offered = added.agreement;
    offered.lines[0].browser_direction = "sendonly";  // the browser holds
    auto ours = parsed(call::phone_offer(offered, call.gateway, kSessionId));
    BOOST_TEST_REQUIRE(ours.media.size() == 2u);
    BOOST_TEST(ours.media[1].media == "video");
    BOOST_TEST(ours.media[1].port == 0);
}

BOOST_AUTO_TEST_CASE(the_same_re_offer_again_is_answered_with_the_same_description_and_version) {
    OutgoingCall call;
    auto first = call.answer(call.agreement, phone_sdp(2, phone_audio(40000, "sendonly")));
    // Read again against what the first one agreed: under the same o= line, and under
    // the next version from a phone that counts up on every re-INVITE.
    auto again = call.answer(first.agreement, phone_sdp(2, phone_audio(40000, "sendonly")));
    auto counted = call.answer(first.agreement, phone_sdp(3, phone_audio(40000, "sendonly")));
    BOOST_TEST(again.answer == first.answer);
    BOOST_TEST(again.agreement.local_version == first.agreement.local_version);
    BOOST_TEST(counted.answer == first.answer);
    BOOST_TEST(counted.agreement.local_version == first.agreement.local_version);
}

// --- Our offers to the phone ---

BOOST_AUTO_TEST_CASE(the_browsers_hold_is_offered_sendonly_once_under_a_new_version) {
    OutgoingCall call;
    MediaAgreement offered = call.agreement;
    offered.lines[0].browser_direction = "sendonly";
    std::string offer = call::phone_offer(offered, call.gateway, kSessionId);
    auto ours = parsed(offer);
    BOOST_TEST_REQUIRE(ours.media.size() == 1u);
    BOOST_TEST(ours.media[0].port == 50002);
    BOOST_TEST(ours.media[0].formats == std::vector<std::string>({"0", "101"}));  // what the call carries, the phone's numbers
    BOOST_TEST(sdp::read_direction(ours.media[0]) == "sendonly");
    BOOST_TEST(version_of(offer) == call.agreement.local_version + 1);
    BOOST_TEST(offered.local_version == call.agreement.local_version + 1);
    // Offered again unchanged: the same description under the same version.
    BOOST_TEST(call::phone_offer(offered, call.gateway, kSessionId) == offer);
    BOOST_TEST(offered.local_version == call.agreement.local_version + 1);
}

BOOST_AUTO_TEST_CASE(the_phones_recvonly_answer_to_our_hold_stops_timing_out_its_silence) {
    OutgoingCall call;
    MediaAgreement offered = call.agreement;
    offered.lines[0].browser_direction = "sendonly";
    call::phone_offer(offered, call.gateway, kSessionId);
    auto taken = call::take_phone_answer(offered, parsed(phone_sdp(2, phone_audio(40000, "recvonly"))));
    BOOST_TEST_REQUIRE(std::holds_alternative<MediaAgreement>(taken));
    auto &agreement = std::get<MediaAgreement>(taken);
    BOOST_TEST(agreement.lines[0].phone_direction == "recvonly");
    BOOST_TEST(agreement.held_by_browser());
    BOOST_TEST(!agreement.held_by_phone());
    BOOST_TEST(agreement.phone_origin == "- 4000 2 IN IP4 192.0.2.10");
    auto relay = call::agreed_relay_lines(agreement, call.ports);
    BOOST_TEST_REQUIRE(relay.size() == 1u);
    BOOST_TEST(relay[0].phone.receives);  // the browser's music on hold goes to the phone
    BOOST_TEST(!relay[0].phone.sends);
}

BOOST_AUTO_TEST_CASE(a_phone_answer_with_another_number_of_m_lines_is_not_taken) {
    OutgoingCall call;
    MediaAgreement offered = call.agreement;
    offered.lines[0].browser_direction = "sendonly";
    call::phone_offer(offered, call.gateway, kSessionId);  // one m-line
    auto taken = call::take_phone_answer(offered, parsed(phone_sdp(2, phone_audio(40000, "recvonly") + kPhoneVideo)));
    BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(taken));
    BOOST_TEST(std::get<std::string>(taken).find("m-lines") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_line_the_phone_refused_is_offered_again_in_its_own_transport) {
    // The phone never saw the browser's UDP/TLS/RTP/SAVPF on this line.
    AudioOnlyAnswerToVideoCall call;
    MediaAgreement offered = call.agreement;
    offered.lines[0].browser_direction = "sendonly";
    auto ours = parsed(call::phone_offer(offered, call.gateway, kSessionId));
    BOOST_TEST_REQUIRE(ours.media.size() == 2u);
    BOOST_TEST(ours.media[1].port == 0);
    BOOST_TEST(ours.media[1].protocol == "RTP/AVP");
}

// --- The browser's re-offer, answered from the agreement ---

BOOST_AUTO_TEST_CASE(the_browsers_re_offer_is_answered_with_the_carried_codecs_and_the_phones_direction) {
    OutgoingCall call;
    auto reoffer = sdp::read_browser_offer(parsed(browser_offer("sendonly", "111 0 126")));
    BOOST_TEST_REQUIRE(std::holds_alternative<sdp::BrowserDescription>(reoffer));
    auto &browser = std::get<sdp::BrowserDescription>(reoffer).lines;
    // As the call does: our offer to the phone with the browser's directions, its answer taken.
    MediaAgreement offered = call.agreement;
    for (std::size_t line = 0; line < browser.size(); ++line) offered.lines[line].browser_direction = browser[line].direction;
    call::phone_offer(offered, call.gateway, kSessionId);
    auto taken = call::take_phone_answer(offered, parsed(phone_sdp(2, phone_audio(40000, "recvonly"))));
    BOOST_TEST_REQUIRE(std::holds_alternative<MediaAgreement>(taken));

    auto lines = call::browser_answer_lines(std::get<MediaAgreement>(taken), browser);
    BOOST_TEST_REQUIRE(lines.size() == 2u);  // one per offered line
    std::vector<std::string> kept;
    for (const auto &codec : lines[0].codecs) kept.push_back(codec.payload_type);
    BOOST_TEST(kept == std::vector<std::string>({"0", "126"}));  // not opus: the phone never took it
    BOOST_TEST(lines[0].bridged);
    BOOST_TEST(lines[0].direction == "recvonly");  // the phone answered recvonly
    BOOST_TEST(!lines[1].bridged);                  // the data channel stays refused
}

BOOST_AUTO_TEST_SUITE_END()
