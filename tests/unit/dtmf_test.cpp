// DTMF: the session-dtmf-info request as decoded, the dtmf-relay INFO body both ways,
// and the call's part (sent only once answered; a phone's digit told to the client).
#include "call/call_session.hpp"
#include "protocol/decoder.hpp"
#include "protocol/encoder.hpp"
#include "recording_sides.hpp"
#include "sip/dtmf_relay.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace sylk;

BOOST_AUTO_TEST_SUITE(dtmf)

BOOST_AUTO_TEST_CASE(session_dtmf_info_takes_one_digit_and_a_bounded_duration) {
    auto decoded = protocol::decode_message(
        R"({"sylkrtc":"session-dtmf-info","transaction":"T","session":"S1","digit":"b","duration":250})");
    BOOST_TEST_REQUIRE((decoded.outcome == protocol::DecodedMessage::Outcome::request));
    const auto &request = std::get<protocol::SessionDtmf>(decoded.request);
    BOOST_TEST(request.session == "S1");
    BOOST_TEST(request.digit == 'B');
    BOOST_TEST(request.duration_ms == 250u);
    auto without_duration =
        protocol::decode_message(R"({"sylkrtc":"session_dtmf_info","transaction":"T","session":"S1","digit":"#"})");
    BOOST_TEST_REQUIRE((without_duration.outcome == protocol::DecodedMessage::Outcome::request));
    BOOST_TEST(std::get<protocol::SessionDtmf>(without_duration.request).duration_ms == 0u);  // the default
    for (const char *bad : {R"("digit":"12")", R"("digit":"E")", R"("digit":"\r")", R"("digit":5)",
                            R"("digit":"1","duration":10)", R"("digit":"1","duration":60000)"}) {
        BOOST_TEST_CONTEXT(bad) {
            auto refused = protocol::decode_message(
                std::string(R"({"sylkrtc":"session-dtmf-info","transaction":"T","session":"S1",)") + bad + "}");
            BOOST_TEST((refused.outcome == protocol::DecodedMessage::Outcome::reply_error));
            BOOST_TEST(refused.problem.find("invalid field") == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_dtmf_relay_body_reads_back_and_refuses_what_names_no_digit) {
    std::string body = sip::dtmf_relay_body({'7', 250});
    BOOST_TEST(body == "Signal=7\r\nDuration=250\r\n");
    auto read = sip::read_dtmf_relay(body);
    BOOST_TEST_REQUIRE(read.has_value());
    BOOST_TEST(read->digit == '7');
    BOOST_TEST(read->duration_ms == 250u);
    auto loose = sip::read_dtmf_relay("signal = d\nDURATION= 99999999\n");  // as some PBXs write it
    BOOST_TEST_REQUIRE(loose.has_value());
    BOOST_TEST(loose->digit == 'D');
    BOOST_TEST(loose->duration_ms == 160u);  // unreadable: the default
    BOOST_TEST(sip::read_dtmf_relay("Signal=5\r\nDuration=20000\r\n")->duration_ms == 10000u);  // cut
    for (const char *bad : {"", "Duration=100\r\n", "Signal=\r\n", "Signal=55\r\n", "Signal=x\r\n", "Signal=\x01\r\n"})
        BOOST_TEST(!sip::read_dtmf_relay(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(a_call_sends_dtmf_only_once_answered_and_tells_the_client_the_phones_digits) {
    testing::RecordingMedia media;
    testing::RecordingCalls sip;
    access::AddressPolicy policy = access::gateway_policy({}, {"127.0.0.1"});
    stats::Counters counters;
    log::Logger logger{nullptr};
    call::CallServices services{media, sip, policy, counters, logger, 4};
    sip::OutgoingCallSpec spec;
    spec.id = 1;
    auto placed = call::CallSession::place(services, spec, testing::fixture_sdp("chromium-156-offer-audio-video.sdp"), "S");
    auto &call = std::get<call::CallSession>(placed);
    BOOST_TEST(call.send_dtmf('5', 0).has_value());  // ringing: refused
    BOOST_TEST(sip.digits.empty());
    call.sip_changed(testing::call_update(1, sip::CallUpdate::Kind::answered, testing::fixture_sdp("sipp-3.6.1-uas-answer.sdp")));
    BOOST_TEST(!call.send_dtmf('5', 0).has_value());
    BOOST_TEST_REQUIRE(sip.digits.size() == 1u);
    BOOST_TEST(sip.digits[0].second == '5');

    sip::CallUpdate digit = testing::call_update(1, sip::CallUpdate::Kind::dtmf);
    digit.dtmf_digit = '#';
    digit.dtmf_duration_ms = 120;
    auto notices = call.sip_changed(digit);
    BOOST_TEST_REQUIRE(notices.size() == 1u);
    BOOST_TEST((notices[0].kind == call::ClientNotice::Kind::dtmf));
    auto event = boost::json::parse(protocol::encode(
        protocol::SessionDtmfEvent{"S1", notices[0].dtmf_digit, notices[0].dtmf_duration_ms}, protocol::Dialect::sylkrtc1));
    BOOST_TEST(event.at("event").as_string() == "dtmf");
    BOOST_TEST(event.at("data").at("digit").as_string() == "#");
    BOOST_TEST(event.at("data").at("duration").as_int64() == 120);
}

BOOST_AUTO_TEST_SUITE_END()
