// SDP model and translation, on SDPs captured from real peers (tests/fixtures/sdp/):
// Chromium 156's offers, sipp 3.6.1's offer and answer.
#include "sdp/browser_side.hpp"
#include "sdp/phone_side.hpp"
#include "sdp/session_description.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using namespace sylk::sdp;

namespace {

std::string fixture(const std::string &name) {
    std::ifstream file(std::string(SYLK_FIXTURES_DIR) + "/sdp/" + name);
    BOOST_REQUIRE_MESSAGE(file, "cannot open fixture " << name);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

SessionDescription parsed(const std::string &text) {
    auto result = parse(text);
    if (auto *error = std::get_if<ParseError>(&result)) BOOST_FAIL(error->reason);
    return std::get<SessionDescription>(result);
}

template <typename Description>
Description must_read(const std::variant<Description, std::string> &result) {
    if (auto *problem = std::get_if<std::string>(&result)) BOOST_FAIL(*problem);
    return std::get<Description>(result);
}

const GatewayWebRtc kGatewayWebRtc{"127.0.0.1", 40000, "gwufrag1", "gatewaypassword0123456789", "AA:BB:CC"};
const GatewayRtp kGatewayRtp{"127.0.0.1", {50000, 50002, 0}};

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
        BOOST_TEST(line.back() == '\r');  // CRLF on every line we write
        line.pop_back();
        lines.push_back(line);
    }
    return lines;
}

bool contains(const std::vector<std::string> &lines, const std::string &line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sdp)

BOOST_AUTO_TEST_CASE(parse_then_serialize_keeps_every_line) {
    std::string text = fixture("chromium-156-offer-audio-video.sdp");
    std::string again = serialize(parsed(text));
    std::string expected;
    for (char c : text) {  // the fixture as captured, with CRLF line ends
        if (c == '\r') continue;
        if (c == '\n') expected += '\r';
        expected += c;
    }
    BOOST_TEST(again == expected);
}

BOOST_AUTO_TEST_CASE(malformed_sdps_are_refused_with_a_reason) {
    for (const char *bad : {"", "x=1\r\n", "v=0\r\nnot a line\r\n", "v=0\r\nm=audio\r\n",
                            "v=0\r\nm=audio 99999 RTP/AVP 0\r\n", "v=1\r\n"}) {
        BOOST_TEST_CONTEXT(bad) {
            auto result = parse(bad);
            BOOST_REQUIRE(std::holds_alternative<ParseError>(result));
            BOOST_TEST(!std::get<ParseError>(result).reason.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(chromium_offer_reads_as_two_bridged_lines_without_rtx_red_or_fec) {
    auto offer = must_read(read_browser_offer(parsed(fixture("chromium-156-offer-audio-video-datachannel.sdp"))));
    BOOST_TEST_REQUIRE(offer.lines.size() == 3u);
    BOOST_TEST(offer.lines[0].kind == "audio");
    BOOST_TEST(offer.lines[0].mid == "0");
    BOOST_TEST(offer.lines[0].bridged);
    BOOST_TEST(offer.lines[0].codecs.front().encoding == "opus/48000/2");
    BOOST_TEST(offer.lines[1].kind == "video");
    BOOST_TEST(offer.lines[1].bridged);
    BOOST_TEST(!offer.lines[2].bridged);  // the data channel
    for (const auto &line : offer.lines)
        for (const auto &codec : line.codecs) {
            auto key = codec.match_key();
            BOOST_TEST(key.rfind("rtx/", 0) != 0);
            BOOST_TEST(key.rfind("red/", 0) != 0);
            BOOST_TEST(key.rfind("ulpfec/", 0) != 0);
        }
    BOOST_TEST(offer.peer.ice_ufrag.size() >= 4u);
    BOOST_TEST(offer.peer.fingerprint_algorithm == "sha-256");
    BOOST_TEST(offer.peer.setup == "actpass");
}

BOOST_AUTO_TEST_CASE(outgoing_call_browser_offer_to_phone_and_phone_answer_back) {
    auto offer = must_read(read_browser_offer(parsed(fixture("chromium-156-offer-audio-video-datachannel.sdp"))));
    auto phone_offer = lines_of(serialize(write_phone_offer(offer.lines, kGatewayRtp, "42")));
    BOOST_TEST(contains(phone_offer, "c=IN IP4 127.0.0.1"));
    BOOST_TEST(contains(phone_offer, "a=rtpmap:111 opus/48000/2"));
    BOOST_TEST(contains(phone_offer, "a=rtpmap:0 PCMU/8000"));
    BOOST_TEST(contains(phone_offer, "a=rtpmap:96 VP8/90000"));
    for (const auto &line : phone_offer) {
        BOOST_TEST_CONTEXT(line) {
            BOOST_TEST(line.find("ice-") == std::string::npos);
            BOOST_TEST(line.find("fingerprint") == std::string::npos);
            BOOST_TEST(line.find("extmap") == std::string::npos);
            BOOST_TEST(line.find("rtx/") == std::string::npos);
            BOOST_TEST(line.find("SAVPF") == std::string::npos);
            BOOST_TEST(line.find("application") == std::string::npos);  // the data channel stays out
        }
    }
    auto phone = parsed(serialize(write_phone_offer(offer.lines, kGatewayRtp, "42")));
    BOOST_TEST_REQUIRE(phone.media.size() == 2u);
    BOOST_TEST(phone.media[0].port == 50000);
    BOOST_TEST(phone.media[0].protocol == "RTP/AVP");
    BOOST_TEST(phone.media[1].port == 50002);

    // sipp's built-in answer has its audio line only (PCMU): the video line it leaves out is refused.
    auto answer = must_read(read_phone_answer(parsed(fixture("sipp-3.6.1-uas-answer.sdp")), offer.lines));
    BOOST_TEST_REQUIRE(answer.lines.size() == 3u);
    BOOST_TEST(answer.lines[0].bridged);
    BOOST_TEST_REQUIRE(answer.lines[0].codecs.size() == 1u);
    BOOST_TEST(answer.lines[0].codecs[0].payload_type == "0");
    BOOST_TEST(answer.peers[0].address == "127.0.0.1");
    BOOST_TEST(answer.peers[0].port == 6000);
    BOOST_TEST(!answer.lines[1].bridged);
    BOOST_TEST(!answer.lines[2].bridged);

    auto browser_answer = lines_of(serialize(write_browser_answer(offer.lines, answer.lines, kGatewayWebRtc, "42")));
    BOOST_TEST(contains(browser_answer, "a=ice-lite"));
    BOOST_TEST(contains(browser_answer, "a=group:BUNDLE 0"));
    BOOST_TEST(contains(browser_answer, "m=audio 40000 UDP/TLS/RTP/SAVPF 0"));
    BOOST_TEST(contains(browser_answer, "m=video 0 UDP/TLS/RTP/SAVPF 96"));
    BOOST_TEST(contains(browser_answer, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel"));
    BOOST_TEST(contains(browser_answer, "a=setup:passive"));
    BOOST_TEST(contains(browser_answer, "a=rtcp-mux"));
    BOOST_TEST(contains(browser_answer, "a=fingerprint:sha-256 AA:BB:CC"));
    BOOST_TEST(contains(browser_answer, "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host"));
    BOOST_TEST(contains(browser_answer, "a=mid:1"));
    BOOST_TEST(contains(browser_answer, "a=mid:2"));
}

BOOST_AUTO_TEST_CASE(codec_clock_rates_from_rtpmap_or_rfc_3551) {
    auto clock_rate = [](const char *type, const char *encoding) { return Codec{type, encoding, {}, {}}.clock_rate(); };
    BOOST_TEST(clock_rate("111", "opus/48000/2") == 48000u);
    BOOST_TEST(clock_rate("96", "VP8/90000") == 90000u);
    BOOST_TEST(clock_rate("0", "") == 8000u);
    BOOST_TEST(clock_rate("9", "") == 8000u);  // G.722's RTP clock
    BOOST_TEST(clock_rate("96", "") == 0u);
    BOOST_TEST(clock_rate("97", "foo/x") == 0u);
    BOOST_TEST(clock_rate("97", "foo/99999999999") == 0u);
}

BOOST_AUTO_TEST_CASE(a_phone_may_renumber_a_dynamic_codec_and_the_pair_is_kept) {
    auto offer = must_read(read_browser_offer(parsed(fixture("chromium-156-offer-audio-video.sdp"))));
    std::string answer_text =
        "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 98 101\r\na=rtpmap:98 opus/48000/2\r\na=rtpmap:101 telephone-event/48000\r\n"
        "a=sendonly\r\nm=video 4002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n";
    auto answer = must_read(read_phone_answer(parsed(answer_text), offer.lines));
    BOOST_TEST_REQUIRE(answer.lines[0].codecs.size() == 2u);
    BOOST_TEST(answer.lines[0].codecs[0].payload_type == "111");
    BOOST_TEST(answer.lines[0].codecs[1].payload_type == "110");
    BOOST_TEST_REQUIRE(answer.lines[0].payload_types.size() == 2u);
    BOOST_TEST(answer.lines[0].payload_types[0].browser == 111);
    BOOST_TEST(answer.lines[0].payload_types[0].phone == 98);
    BOOST_TEST(answer.lines[0].payload_types[0].clock_rate == 48000u);  // for jitter in ms
    BOOST_TEST(answer.lines[0].direction == "sendonly");
    BOOST_TEST(answer.peers[0].address == "192.0.2.7");
    BOOST_TEST(answer.lines[1].codecs[0].payload_type == "96");
    auto browser = lines_of(serialize(write_browser_answer(offer.lines, answer.lines, kGatewayWebRtc, "7")));
    BOOST_TEST(contains(browser, "m=audio 40000 UDP/TLS/RTP/SAVPF 111 110"));
    BOOST_TEST(contains(browser, "a=sendonly"));
    BOOST_TEST(contains(browser, "a=group:BUNDLE 0 1"));
}

// RFC 4733: a phone's telephone-event (101 at 8 kHz, as phones have it) pairs with the
// browser's 8 kHz one (Chromium offers 126 at 8 kHz and 110 at 48 kHz), never across clocks.
BOOST_AUTO_TEST_CASE(telephone_events_pair_by_clock_rate_and_are_renumbered) {
    auto offer = must_read(read_browser_offer(parsed(fixture("chromium-156-offer-audio-video.sdp"))));
    std::string answer_text =
        "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-16\r\nm=video 0 RTP/AVP 100\r\n";
    auto answer = must_read(read_phone_answer(parsed(answer_text), offer.lines));
    const auto &pairs = answer.lines[0].payload_types;
    BOOST_TEST_REQUIRE(pairs.size() == 2u);
    BOOST_TEST(pairs[1].browser == 126);
    BOOST_TEST(pairs[1].phone == 101);
    BOOST_TEST(pairs[1].clock_rate == 8000u);
    auto browser = lines_of(serialize(write_browser_answer(offer.lines, answer.lines, kGatewayWebRtc, "7")));
    BOOST_TEST(contains(browser, "a=rtpmap:126 telephone-event/8000"));
    BOOST_TEST(!contains(browser, "a=rtpmap:110 telephone-event/48000"));
}

BOOST_AUTO_TEST_CASE(incoming_call_phone_offer_to_browser_and_browser_answer_back) {
    auto offer = must_read(read_phone_offer(parsed(fixture("sipp-3.6.1-uac-offer.sdp"))));
    BOOST_TEST_REQUIRE(offer.lines.size() == 1u);
    BOOST_TEST(offer.peers[0].port == 6004);
    auto browser_offer_sdp = serialize(write_browser_offer(offer.lines, kGatewayWebRtc, "9"));
    auto browser_offer = lines_of(browser_offer_sdp);
    BOOST_TEST(contains(browser_offer, "m=audio 40000 UDP/TLS/RTP/SAVPF 0"));
    BOOST_TEST(contains(browser_offer, "a=setup:actpass"));
    BOOST_TEST(contains(browser_offer, "a=group:BUNDLE 0"));
    BOOST_TEST(contains(browser_offer, "a=mid:0"));

    // What a browser answers to that offer (Chromium's shape: active, its own credentials).
    std::string browser_answer_text =
        "v=0\r\no=- 5 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:bRWs\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
        "a=fingerprint:sha-256 11:22:33\r\na=setup:active\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n"
        "a=rtpmap:0 PCMU/8000\r\n";
    auto answer = must_read(read_browser_answer(parsed(browser_answer_text), offer.lines));
    BOOST_TEST(answer.peer.setup == "active");
    BOOST_TEST(answer.peer.fingerprint == "11:22:33");
    BOOST_TEST(answer.lines[0].bridged);
    auto phone_answer = parsed(serialize(write_phone_answer(offer.lines, answer.lines, {"127.0.0.1", {50010}}, "9")));
    BOOST_TEST_REQUIRE(phone_answer.media.size() == 1u);
    BOOST_TEST(phone_answer.media[0].port == 50010);
    BOOST_TEST(phone_answer.media[0].protocol == "RTP/AVP");
    BOOST_TEST(phone_answer.media[0].formats == std::vector<std::string>{"0"});
}

BOOST_AUTO_TEST_CASE(a_phone_offer_loses_its_retransmission_formats_and_one_with_only_those_is_refused) {
    // Found by fuzz_sdp: a phone line whose only format is rtx became a browser offer that
    // the gateway's own browser side (rightly) refuses.
    std::string header = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
    std::string mixed = header + "m=audio 4000 RTP/AVP 0 96 97\r\na=rtpmap:0 PCMU/8000\r\n"
                                 "a=rtpmap:96 red/8000\r\na=rtpmap:97 rtx/8000\r\na=fmtp:97 apt=0\r\n";
    auto offer = must_read(read_phone_offer(parsed(mixed)));
    BOOST_TEST_REQUIRE(offer.lines[0].codecs.size() == 1u);
    BOOST_TEST(offer.lines[0].codecs[0].payload_type == "0");
    auto browser_offer = must_read(read_browser_offer(parsed(serialize(write_browser_offer(offer.lines, kGatewayWebRtc, "2")))));
    BOOST_TEST(browser_offer.lines[0].bridged);

    std::string rtx_only = header + "m=video 4000 RTP/AVP 96\r\na=rtpmap:96 rtx/90000\r\n";
    auto refused = read_phone_offer(parsed(rtx_only));
    BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(refused));
    BOOST_TEST(std::get<std::string>(refused) == "no audio or video over RTP/AVP in the offer");
}

BOOST_AUTO_TEST_CASE(offers_nothing_can_carry_are_refused_with_a_reason) {
    // SDES-only media from a phone, and a browser offer with only a data channel.
    std::string sdes = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
                       "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc\r\n";
    BOOST_TEST(std::holds_alternative<std::string>(read_phone_offer(parsed(sdes))));
    std::string data_only = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:abcd\r\n"
                            "a=ice-pwd:0123456789abcdefghijklmn\r\na=fingerprint:sha-256 11:22\r\n"
                            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
    BOOST_TEST(std::holds_alternative<std::string>(read_browser_offer(parsed(data_only))));
    std::string no_ice = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
    auto problem = read_browser_offer(parsed(no_ice));
    BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(problem));
    BOOST_TEST(std::get<std::string>(problem) == "the SDP has no ICE credentials");
}

BOOST_AUTO_TEST_SUITE_END()
