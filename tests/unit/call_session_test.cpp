// call::CallSession on its own: its states, what it asks of the SIP and media sides,
// and what it has the client told, with recording fakes (no socket, no thread).
#include "call/call_session.hpp"
#include "config/configuration.hpp"
#include "recording_sides.hpp"

#include <boost/test/unit_test.hpp>

#include <ostream>

using namespace sylk;
using call::CallSession;
using call::CallState;
using testing::call_update;
using testing::fixture_sdp;

namespace sylk::call {
// For Boost.Test's messages when a state differs.
std::ostream &operator<<(std::ostream &out, CallState state) { return out << state_name(state); }
}  // namespace sylk::call

namespace {

struct Sides {
    Sides()
        : policy(access::gateway_policy({}, {"127.0.0.1"})),
          services{media, sip, policy, counters, logger, 4} {}

    CallSession place(sip::CallId id = 1) {
        sip::OutgoingCallSpec spec;
        spec.id = id;
        spec.target = "sip:bob@example.com";
        auto placed = CallSession::place(services, spec, fixture_sdp("chromium-156-offer-audio-video.sdp"), "session S");
        BOOST_TEST_REQUIRE(std::holds_alternative<CallSession>(placed));
        return std::get<CallSession>(std::move(placed));
    }

    std::variant<CallSession, call::IncomingRefusal> receive(std::string sdp, sip::CallId id = sip::kIncomingCallBit | 1) {
        return CallSession::receive(services, call_update(id, sip::CallUpdate::Kind::incoming, std::move(sdp)), "session I");
    }

    testing::RecordingMedia media;
    testing::RecordingCalls sip;
    access::AddressPolicy policy;
    stats::Counters counters;
    log::Logger logger{nullptr};
    call::CallServices services;
};

// A browser's answer to the gateway's offer of one PCMU line.
const std::string kBrowserAnswer =
    "v=0\r\no=- 5 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:bRWs\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
    "a=fingerprint:sha-256 11:22:33\r\na=setup:active\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(call_session)

BOOST_AUTO_TEST_CASE(an_outgoing_call_goes_from_connecting_to_established_and_ends_with_the_sip_reason) {
    Sides sides;
    CallSession call = sides.place();
    BOOST_TEST(call.state() == CallState::connecting);
    BOOST_TEST(state_name(call.state()) == std::string("connecting"));
    BOOST_TEST(call.in_setup());
    BOOST_TEST_REQUIRE(sides.sip.placed.size() == 1u);
    BOOST_TEST(sides.sip.placed[0].sdp.find("m=audio 50002 RTP/AVP") != std::string::npos);  // the phone's offer
    BOOST_TEST(sides.media.opened.size() == 1u);
    BOOST_TEST(sides.counters.sessions.load() == 1u);

    auto progress = call.sip_changed(call_update(1, sip::CallUpdate::Kind::progress));
    BOOST_TEST(call.state() == CallState::progress);
    BOOST_TEST_REQUIRE(progress.size() == 1u);
    BOOST_TEST(progress[0].state == "progress");

    auto accepted = call.sip_changed(call_update(1, sip::CallUpdate::Kind::answered, fixture_sdp("sipp-3.6.1-uas-answer.sdp")));
    BOOST_TEST(call.state() == CallState::accepted);
    BOOST_TEST(!call.in_setup());
    BOOST_TEST_REQUIRE(accepted.size() == 1u);
    BOOST_TEST(accepted[0].state == "accepted");
    BOOST_TEST(accepted[0].sdp.find("a=setup:passive") != std::string::npos);  // the browser's answer
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 1u);
    BOOST_TEST(sides.media.updated[0].negotiated);

    auto established = call.media_changed({1, media::MediaEvent::Kind::established, {}});
    BOOST_TEST(call.state() == CallState::established);
    BOOST_TEST_REQUIRE(established.size() == 1u);
    BOOST_TEST(established[0].state == "established");

    BOOST_TEST(call.can_terminate());
    call.terminate(603);
    BOOST_TEST(call.state() == CallState::terminating);
    BOOST_TEST(!call.can_terminate());
    BOOST_TEST_REQUIRE(sides.sip.ended.size() == 1u);
    auto ended = call.sip_changed(call_update(1, sip::CallUpdate::Kind::ended, {}, "200 Call completed"));
    BOOST_TEST(call.state() == CallState::terminated);
    BOOST_TEST_REQUIRE(ended.size() == 1u);
    BOOST_TEST(ended[0].reason == "200 Call completed");
    BOOST_TEST(sides.media.closed == std::vector<media::MediaSessionId>{1});
    BOOST_TEST(sides.counters.sessions.load() == 0u);
    BOOST_TEST(sides.counters.calls_outgoing_answered.load() == 1u);
    // Nothing after the end.
    BOOST_TEST(call.media_changed({1, media::MediaEvent::Kind::established, {}}).empty());
}

BOOST_AUTO_TEST_CASE(a_phone_answer_that_cannot_be_bridged_ends_the_call_with_488_and_its_reason) {
    Sides sides;
    CallSession call = sides.place();
    std::string fax_only = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                           "m=image 6000 udptl t38\r\n";
    BOOST_TEST(call.sip_changed(call_update(1, sip::CallUpdate::Kind::answered, fax_only)).empty());
    BOOST_TEST(call.state() == CallState::terminating);
    BOOST_TEST_REQUIRE(sides.sip.ended.size() == 1u);
    BOOST_TEST(sides.sip.ended[0].second == 488);
    auto ended = call.sip_changed(call_update(1, sip::CallUpdate::Kind::ended, {}, "200 Call completed"));
    BOOST_TEST_REQUIRE(ended.size() == 1u);
    BOOST_TEST(ended[0].reason.rfind("488 ", 0) == 0);  // the gateway's reason, not the BYE's
    BOOST_TEST(sides.counters.calls_outgoing_unanswered.load() == 1u);
}

BOOST_AUTO_TEST_CASE(an_incoming_offer_that_cannot_be_bridged_is_refused_before_any_port_is_held) {
    Sides sides;
    auto fax = sides.receive("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                             "m=image 6000 udptl t38\r\n");
    BOOST_TEST_REQUIRE(std::holds_alternative<call::IncomingRefusal>(fax));
    BOOST_TEST(std::get<call::IncomingRefusal>(fax).code == 488);
    BOOST_TEST(sides.media.opened.empty());
    BOOST_TEST(sides.media.next_port == 50000);  // no reservation was made
    BOOST_TEST(sides.counters.sessions.load() == 0u);
}

BOOST_AUTO_TEST_CASE(an_incoming_call_is_accepted_once_whether_media_or_the_ack_comes_first) {
    Sides sides;
    auto received = sides.receive(fixture_sdp("sipp-3.6.1-uac-offer.sdp"));
    BOOST_TEST_REQUIRE(std::holds_alternative<CallSession>(received));
    CallSession call = std::get<CallSession>(std::move(received));
    BOOST_TEST(call.state() == CallState::connecting);
    BOOST_TEST(call.browser_offer().find("a=setup:actpass") != std::string::npos);
    BOOST_TEST(sides.media.opened.size() == 1u);  // the browser's checks may come before its answer
    BOOST_TEST(call.can_answer());

    BOOST_TEST(call.answer("not SDP").has_value());
    BOOST_TEST(call.can_answer());  // a refused answer changes nothing
    BOOST_TEST(sides.sip.answered.empty());

    BOOST_TEST(!call.answer(kBrowserAnswer).has_value());
    BOOST_TEST(call.state() == CallState::answering);
    BOOST_TEST(!call.can_answer());
    BOOST_TEST_REQUIRE(sides.sip.answered.size() == 1u);

    auto up = call.media_changed({call.id(), media::MediaEvent::Kind::established, {}});
    BOOST_TEST_REQUIRE(up.size() == 2u);
    BOOST_TEST(up[0].state == "accepted");
    BOOST_TEST(up[1].state == "established");
    BOOST_TEST(call.state() == CallState::established);
    BOOST_TEST(call.sip_changed(call_update(call.id(), sip::CallUpdate::Kind::confirmed)).empty());  // told once
}

BOOST_AUTO_TEST_CASE(an_incoming_call_that_ends_unanswered_is_missed_unless_the_browser_declined_it) {
    Sides sides;
    CallSession missed = std::get<CallSession>(sides.receive(fixture_sdp("sipp-3.6.1-uac-offer.sdp")));
    auto notices = missed.sip_changed(call_update(missed.id(), sip::CallUpdate::Kind::ended, {}, "487 Request Terminated"));
    BOOST_TEST_REQUIRE(notices.size() == 2u);
    BOOST_TEST((notices[0].kind == call::ClientNotice::Kind::missed));
    BOOST_TEST(notices[1].reason == "487 Request Terminated");

    CallSession declined =
        std::get<CallSession>(sides.receive(fixture_sdp("sipp-3.6.1-uac-offer.sdp"), sip::kIncomingCallBit | 2));
    declined.terminate(603);
    BOOST_TEST(sides.sip.ended.back().second == 603);
    notices = declined.sip_changed(call_update(declined.id(), sip::CallUpdate::Kind::ended, {}, "603 Decline"));
    BOOST_TEST_REQUIRE(notices.size() == 1u);
    BOOST_TEST(notices[0].state == "terminated");
    BOOST_TEST(sides.counters.calls_incoming_unanswered.load() == 2u);
}

// The phone's answer to our offer of PCMU, from `address`:`port`.
std::string phone_answer(const std::string &address, int port) {
    return "v=0\r\no=phone 1 1 IN IP4 " + address + "\r\ns=-\r\nc=IN IP4 " + address + "\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}

sip::CallUpdate from_dialog(sip::CallUpdate update, std::string tag) {
    update.dialog_tag = std::move(tag);
    return update;
}

BOOST_AUTO_TEST_CASE(early_media_answers_the_browser_at_the_183_and_the_200_repoints_the_relay) {
    Sides sides;
    CallSession call = sides.place();
    auto early = call.sip_changed(
        from_dialog(call_update(1, sip::CallUpdate::Kind::progress, phone_answer("127.0.0.1", 7000)), "a"));
    BOOST_TEST(call.state() == CallState::early_media);
    BOOST_TEST_REQUIRE(early.size() == 1u);
    BOOST_TEST(early[0].state == "progress");
    BOOST_TEST(early[0].sdp.find("a=setup:passive") != std::string::npos);  // the browser's answer, now
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 1u);
    BOOST_TEST(sides.media.updated.back().lines[0].phone.port == 7000);  // ringback flows at once
    BOOST_TEST(sides.media.updated.back().negotiated);
    BOOST_TEST(call.in_setup());  // not answered yet

    // Media is up before the 200: `established` waits for `accepted`.
    BOOST_TEST(call.media_changed({1, media::MediaEvent::Kind::established, {}}).empty());

    auto accepted = call.sip_changed(
        from_dialog(call_update(1, sip::CallUpdate::Kind::answered, phone_answer("127.0.0.1", 7002)), "a"));
    BOOST_TEST_REQUIRE(accepted.size() == 2u);
    BOOST_TEST(accepted[0].state == "accepted");
    BOOST_TEST(accepted[0].sdp == early[0].sdp);  // the same codecs: the same answer for a client that waited
    BOOST_TEST(accepted[1].state == "established");
    BOOST_TEST(call.state() == CallState::established);
    BOOST_TEST(sides.media.updated.back().lines[0].phone.port == 7002);  // re-pointed, no renegotiation
}

BOOST_AUTO_TEST_CASE(forked_early_answers_each_keep_their_target_until_a_2xx_without_sdp_picks_one) {
    Sides sides;
    CallSession call = sides.place();
    auto first = call.sip_changed(
        from_dialog(call_update(1, sip::CallUpdate::Kind::progress, phone_answer("127.0.0.1", 7000)), "a"));
    BOOST_TEST_REQUIRE(first.size() == 1u);
    auto second = call.sip_changed(
        from_dialog(call_update(1, sip::CallUpdate::Kind::progress, phone_answer("127.0.0.1", 8000)), "b"));
    BOOST_TEST_REQUIRE(second.size() == 1u);
    BOOST_TEST(second[0].sdp.empty());  // the browser has its answer already
    BOOST_TEST(sides.media.updated.back().lines[0].phone.port == 8000);  // the latest early media is heard

    // The 2xx of fork "a", without SDP (its answer came early): back to a's target.
    auto accepted = call.sip_changed(from_dialog(call_update(1, sip::CallUpdate::Kind::answered), "a"));
    BOOST_TEST_REQUIRE(accepted.size() == 1u);
    BOOST_TEST(accepted[0].state == "accepted");
    BOOST_TEST(sides.media.updated.back().lines[0].phone.port == 7000);

    // A 2xx without SDP from a dialog that gave none is refused (488).
    CallSession other = sides.place(2);
    BOOST_TEST(other.sip_changed(from_dialog(call_update(2, sip::CallUpdate::Kind::answered), "c")).empty());
    BOOST_TEST(other.state() == CallState::terminating);
    BOOST_TEST(sides.sip.ended.back().second == 488);
}

BOOST_AUTO_TEST_CASE(an_early_answer_that_cannot_be_bridged_is_only_ringing) {
    Sides sides;
    CallSession call = sides.place();
    std::string fax_only = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                           "m=image 6000 udptl t38\r\n";
    auto notices = call.sip_changed(from_dialog(call_update(1, sip::CallUpdate::Kind::progress, fax_only), "a"));
    BOOST_TEST_REQUIRE(notices.size() == 1u);
    BOOST_TEST(notices[0].sdp.empty());
    BOOST_TEST(call.state() == CallState::progress);
    BOOST_TEST(sides.media.updated.empty());
}

BOOST_AUTO_TEST_CASE(an_early_answer_at_an_inside_address_is_only_learnt_from) {
    Sides sides;
    CallSession call = sides.place();
    auto notices = call.sip_changed(
        from_dialog(call_update(1, sip::CallUpdate::Kind::progress, phone_answer("10.9.8.7", 7000)), "a"));
    BOOST_TEST_REQUIRE(notices.size() == 1u);
    BOOST_TEST(!notices[0].sdp.empty());  // early media: a phone behind NAT shows its private address
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 1u);
    BOOST_TEST(sides.media.updated[0].lines[0].phone.learn_only);
}

BOOST_AUTO_TEST_CASE(an_offerless_invite_gets_the_browsers_choice_as_offer_and_its_answer_from_the_ack) {
    Sides sides;
    auto received = sides.receive("");
    BOOST_TEST_REQUIRE(std::holds_alternative<CallSession>(received));
    CallSession call = std::get<CallSession>(std::move(received));
    // The browser is offered what the gateway carries.
    BOOST_TEST(call.browser_offer().find("a=rtpmap:111 opus/48000/2") != std::string::npos);
    BOOST_TEST(call.browser_offer().find("a=rtpmap:0 PCMU/8000") != std::string::npos);
    BOOST_TEST(call.browser_offer().find("a=setup:actpass") != std::string::npos);
    BOOST_TEST_REQUIRE(!call.answer(kBrowserAnswer).has_value());  // it takes PCMU
    BOOST_TEST_REQUIRE(sides.sip.answered.size() == 1u);
    const std::string &offer = sides.sip.answered[0].second;  // our 200's SDP: an offer of what it took
    BOOST_TEST(offer.find("m=audio 50002 RTP/AVP 0") != std::string::npos);
    BOOST_TEST(offer.find("opus") == std::string::npos);
    BOOST_TEST(sides.media.updated.back().lines[0].phone.port == 0);  // nowhere to send yet

    auto up = call.sip_changed(call_update(call.id(), sip::CallUpdate::Kind::confirmed,
                                           "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                                           "m=audio 7010 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"));
    BOOST_TEST_REQUIRE(up.size() == 1u);
    BOOST_TEST(up[0].state == "accepted");
    BOOST_TEST(sides.media.updated.back().lines[0].phone.port == 7010);  // the ACK's answer

    // An ACK without an answer ends the call, with the reason.
    CallSession silent = std::get<CallSession>(sides.receive("", sip::kIncomingCallBit | 2));
    BOOST_TEST_REQUIRE(!silent.answer(kBrowserAnswer).has_value());
    BOOST_TEST(silent.sip_changed(call_update(silent.id(), sip::CallUpdate::Kind::confirmed)).empty());
    BOOST_TEST(silent.state() == CallState::terminating);
    BOOST_TEST(sides.sip.ended.back().second == 488);
    auto ended = silent.sip_changed(call_update(silent.id(), sip::CallUpdate::Kind::ended, {}, "200 Call completed"));
    BOOST_TEST_REQUIRE(ended.size() == 1u);
    BOOST_TEST(ended[0].reason == "488 no SDP answer in the ACK");
}

BOOST_AUTO_TEST_SUITE_END()
