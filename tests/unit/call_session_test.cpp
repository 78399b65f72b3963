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

// Offers and answers in an answered call's dialog (RFC 3264 8): the phone's re-INVITE or
// UPDATE (sip::CallUpdate reoffer, reoffer_acked) and the browser's session-update sent on
// in a re-INVITE (CallSession::update, sip::CallUpdate update_answered).
namespace {

// The phone's description in the dialog of an outgoing call (the gateway offered it an audio
// and a video line): PCMU at 127.0.0.1:`port` saying `direction`, the video line refused.
// `audio` replaces the audio line's m= and rtpmap lines.
std::string dialog_phone_sdp(unsigned version, const std::string &direction, int port = 7000,
                             const std::string &audio = {}) {
    return "v=0\r\no=phone 1 " + std::to_string(version) +
           " IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
           (audio.empty() ? "m=audio " + std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" : audio) +
           "a=" + direction + "\r\nm=video 0 RTP/AVP 96\r\n";
}

std::string replaced(std::string text, const std::string &from, const std::string &to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

bool has(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

// The browser's offer the call was placed with, every line saying `direction` instead.
std::string browser_offer_saying(const std::string &direction) {
    return replaced(fixture_sdp("chromium-156-offer-audio-video.sdp"), "a=sendrecv", "a=" + direction);
}

sip::CallUpdate reoffer(std::string sdp, std::uint32_t seq, sip::CallId id = 1) {
    sip::CallUpdate update = call_update(id, sip::CallUpdate::Kind::reoffer, std::move(sdp));
    update.update_seq = seq;
    return update;
}

sip::CallUpdate reoffer_acked(std::string sdp, std::uint32_t seq, sip::CallId id = 1) {
    sip::CallUpdate update = call_update(id, sip::CallUpdate::Kind::reoffer_acked, std::move(sdp));
    update.update_seq = seq;
    return update;
}

sip::CallUpdate update_answered(std::uint16_t status, std::string reason, std::string sdp = {}, sip::CallId id = 1) {
    sip::CallUpdate update = call_update(id, sip::CallUpdate::Kind::update_answered, std::move(sdp), std::move(reason));
    update.status = status;
    return update;
}

using RecordedAnswer = testing::RecordingCalls::UpdateAnswer;

bool is_update(const call::ClientNotice &notice) { return notice.kind == call::ClientNotice::Kind::update; }

// An outgoing call (id 1) the phone answered with dialog_phone_sdp(1, "sendrecv"): accepted,
// or established with `media_up`.
struct AnsweredCall : Sides {
    explicit AnsweredCall(bool media_up = false) : call(place()) {
        offer_to_phone = sip.placed.at(0).sdp;
        auto accepted = call.sip_changed(call_update(1, sip::CallUpdate::Kind::answered, dialog_phone_sdp(1, "sendrecv")));
        BOOST_TEST_REQUIRE(accepted.size() == 1u);
        BOOST_TEST_REQUIRE(accepted[0].state == "accepted");
        if (media_up) BOOST_TEST_REQUIRE(call.media_changed({1, media::MediaEvent::Kind::established, {}}).size() == 1u);
        BOOST_TEST_REQUIRE(sides_quiet());
    }
    // Nothing asked of the SIP side beyond placing the call; the relay pointed once.
    bool sides_quiet() const {
        return sip.update_answers.empty() && sip.updates.empty() && sip.ended.empty() && media.updated.size() == 1u;
    }
    const media::BridgedLine &audio_relay() const { return media.updated.back().lines.at(0); }

    CallSession call;
    std::string offer_to_phone;  // the INVITE's SDP
};

}  // namespace

BOOST_AUTO_TEST_SUITE(call_session_updates)

BOOST_AUTO_TEST_CASE(a_reoffer_with_the_same_origin_is_a_refresh_answered_with_the_last_description) {
    AnsweredCall sides;
    auto notices = sides.call.sip_changed(reoffer(dialog_phone_sdp(1, "sendrecv"), 11));
    BOOST_TEST(notices.empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 1u);
    const RecordedAnswer answer = sides.sip.update_answers[0];
    BOOST_TEST(answer.call == 1u);
    BOOST_TEST(answer.seq == 11u);
    BOOST_TEST(answer.code == 200);
    BOOST_TEST(answer.sdp == sides.offer_to_phone);  // exactly, its version unchanged
    BOOST_TEST(sides.media.updated.size() == 1u);   // the relay is left alone
    BOOST_TEST(sides.call.state() == CallState::accepted);

    // After a change, a refresh gets the answer that made it.
    sides.call.sip_changed(reoffer(dialog_phone_sdp(2, "sendonly"), 12));
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 2u);
    std::string hold_answer = sides.sip.update_answers[1].sdp;
    std::size_t relay_updates = sides.media.updated.size();
    BOOST_TEST(sides.call.sip_changed(reoffer(dialog_phone_sdp(2, "sendonly"), 13)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 3u);
    BOOST_TEST(sides.sip.update_answers[2].code == 200);
    BOOST_TEST(sides.sip.update_answers[2].sdp == hold_answer);
    BOOST_TEST(sides.media.updated.size() == relay_updates);
}

BOOST_AUTO_TEST_CASE(the_phones_hold_is_answered_recvonly_stops_rtp_to_it_and_its_resume_undoes_it) {
    AnsweredCall sides;
    auto held = sides.call.sip_changed(reoffer(dialog_phone_sdp(2, "sendonly"), 5));
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 1u);
    const RecordedAnswer answer = sides.sip.update_answers[0];
    BOOST_TEST(answer.seq == 5u);
    BOOST_TEST(answer.code == 200);
    BOOST_TEST(has(answer.sdp, "a=recvonly"));
    BOOST_TEST(!has(answer.sdp, "a=sendrecv"));
    BOOST_TEST(has(answer.sdp, "m=audio 50002 RTP/AVP 0"));  // the same port, the codec carried
    BOOST_TEST(has(answer.sdp, "m=video 0 "));              // every m-line answered, video still refused
    BOOST_TEST(has(answer.sdp, "o=- 1 2 IN IP4"));          // a new description: version 2
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 2u);
    BOOST_TEST(sides.audio_relay().phone.port == 7000);
    BOOST_TEST(!sides.audio_relay().phone.receives);  // no RTP to a phone that holds
    BOOST_TEST(sides.audio_relay().phone.sends);      // its music on hold is relayed
    BOOST_TEST_REQUIRE(held.size() == 1u);
    BOOST_TEST(is_update(held[0]));
    BOOST_TEST(held[0].originator == "remote");
    BOOST_TEST(held[0].hold);
    BOOST_TEST(held[0].sdp.empty());
    BOOST_TEST(sides.call.state() == CallState::accepted);

    auto resumed = sides.call.sip_changed(reoffer(dialog_phone_sdp(3, "sendrecv", 7004), 6));
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 2u);
    BOOST_TEST(sides.sip.update_answers[1].code == 200);
    BOOST_TEST(has(sides.sip.update_answers[1].sdp, "a=sendrecv"));
    BOOST_TEST(has(sides.sip.update_answers[1].sdp, "o=- 1 3 IN IP4"));
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 3u);
    BOOST_TEST(sides.audio_relay().phone.port == 7004);  // and moved
    BOOST_TEST(sides.audio_relay().phone.receives);
    BOOST_TEST(sides.audio_relay().phone.sends);
    BOOST_TEST_REQUIRE(resumed.size() == 1u);
    BOOST_TEST(is_update(resumed[0]));
    BOOST_TEST(resumed[0].originator == "remote");
    BOOST_TEST(!resumed[0].hold);
    BOOST_TEST(sides.sip.ended.empty());
}

// A reoffer the gateway answers alone with 488: the call and its relay stay as they were.
BOOST_AUTO_TEST_CASE(a_reoffer_that_removes_an_m_line_gets_488_and_changes_nothing) {
    AnsweredCall sides;
    std::string audio_only = "v=0\r\no=phone 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                             "m=audio 7000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n";
    BOOST_TEST(sides.call.sip_changed(reoffer(audio_only, 3)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 1u);
    BOOST_TEST(sides.sip.update_answers[0].seq == 3u);
    BOOST_TEST(sides.sip.update_answers[0].code == 488);
    BOOST_TEST(sides.sip.update_answers[0].sdp.empty());
    BOOST_TEST(sides.media.updated.size() == 1u);
    BOOST_TEST(sides.sip.ended.empty());
    BOOST_TEST(sides.call.state() == CallState::accepted);

    // Not SDP at all: the same.
    BOOST_TEST(sides.call.sip_changed(reoffer("not SDP", 4)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 2u);
    BOOST_TEST(sides.sip.update_answers[1].code == 488);
    BOOST_TEST(sides.media.updated.size() == 1u);

    // A later valid offer is answered, against the agreement as it was.
    auto held = sides.call.sip_changed(reoffer(dialog_phone_sdp(2, "sendonly"), 5));
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 3u);
    BOOST_TEST(sides.sip.update_answers[2].code == 200);
    BOOST_TEST(has(sides.sip.update_answers[2].sdp, "a=recvonly"));
    BOOST_TEST(has(sides.sip.update_answers[2].sdp, "o=- 1 2 IN IP4"));  // the 488s said nothing new
    BOOST_TEST(sides.media.updated.size() == 2u);
    BOOST_TEST_REQUIRE(held.size() == 1u);
    BOOST_TEST(held[0].hold);
}

// The call carries PCMU; the phone moves to G.729 only. The gateway cannot answer that from
// what the call carries, so the browser is asked (docs/protocol.md: "an offer whose codecs the
// browser did not agree ... is put to the browser"); the phone gets 488 when the browser does
// not answer in time (the SIP side answers it) or takes nothing of it.
const std::string kG729Audio = "m=audio 7000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n";

BOOST_AUTO_TEST_CASE(a_reoffer_of_a_codec_the_call_does_not_carry_is_put_to_the_browser_and_fails_unanswered) {
    AnsweredCall sides;
    auto asked = sides.call.sip_changed(reoffer(dialog_phone_sdp(2, "sendrecv", 7000, kG729Audio), 8));
    BOOST_TEST(sides.sip.update_answers.empty());  // not answered yet
    BOOST_TEST(sides.media.updated.size() == 1u);
    BOOST_TEST(sides.call.state() == CallState::updating);
    BOOST_TEST_REQUIRE(asked.size() == 1u);
    BOOST_TEST(is_update(asked[0]));
    BOOST_TEST(asked[0].originator == "remote");
    BOOST_TEST(asked[0].state == "received");
    BOOST_TEST(!asked[0].hold);
    BOOST_TEST(has(asked[0].sdp, "G729/8000"));
    BOOST_TEST(has(asked[0].sdp, "a=setup:actpass"));
    BOOST_TEST(has(asked[0].sdp, "a=ice-ufrag:" + sides.media.opened.at(0).local_ice_ufrag));  // no ICE restart
    BOOST_TEST(has(asked[0].sdp, "o=- 1 2 IN IP4"));

    // Another offer meanwhile crosses it.
    BOOST_TEST(sides.call.sip_changed(reoffer(dialog_phone_sdp(3, "sendonly"), 9)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 1u);
    BOOST_TEST(sides.sip.update_answers[0].seq == 9u);
    BOOST_TEST(sides.sip.update_answers[0].code == 491);
    BOOST_TEST(sides.media.updated.size() == 1u);

    // The browser does not answer in time: the SIP side answered the phone 488.
    sip::CallUpdate expired = call_update(1, sip::CallUpdate::Kind::reoffer_expired);
    expired.update_seq = 9;  // not this offer's
    BOOST_TEST(sides.call.sip_changed(expired).empty());
    BOOST_TEST(sides.call.state() == CallState::updating);
    expired.update_seq = 8;
    auto failed = sides.call.sip_changed(expired);
    BOOST_TEST_REQUIRE(failed.size() == 1u);
    BOOST_TEST(is_update(failed[0]));
    BOOST_TEST(failed[0].originator == "remote");
    BOOST_TEST(failed[0].state == "failed");
    BOOST_TEST(failed[0].reason.rfind("488 ", 0) == 0);
    BOOST_TEST(sides.call.state() == CallState::accepted);
    BOOST_TEST(sides.sip.update_answers.size() == 1u);
    BOOST_TEST(sides.media.updated.size() == 1u);
    BOOST_TEST(sides.sip.ended.empty());

    // A later offer the call can carry is answered at once, against the agreement as it was.
    auto held = sides.call.sip_changed(reoffer(dialog_phone_sdp(3, "sendonly"), 10));
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 2u);
    BOOST_TEST(sides.sip.update_answers[1].seq == 10u);
    BOOST_TEST(sides.sip.update_answers[1].code == 200);
    BOOST_TEST(has(sides.sip.update_answers[1].sdp, "m=audio 50002 RTP/AVP 0\r\n"));
    BOOST_TEST(has(sides.sip.update_answers[1].sdp, "a=recvonly"));
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 2u);
    BOOST_TEST(sides.audio_relay().phone.port == 7000);
    BOOST_TEST(!sides.audio_relay().phone.receives);
    BOOST_TEST_REQUIRE(held.size() == 1u);
    BOOST_TEST(held[0].hold);
}

BOOST_AUTO_TEST_CASE(a_reoffer_of_a_codec_the_browser_refuses_gets_488_and_changes_nothing) {
    AnsweredCall sides;
    auto asked = sides.call.sip_changed(reoffer(dialog_phone_sdp(2, "sendrecv", 7000, kG729Audio), 8));
    BOOST_TEST_REQUIRE(asked.size() == 1u);
    BOOST_TEST_REQUIRE(asked[0].state == "received");

    // The browser has no G.729: it rejects the line (as it rejects the video line).
    std::string browser_answer =
        "v=0\r\no=- 5 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=audio 0 UDP/TLS/RTP/SAVPF 18\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:RstR\r\na=ice-pwd:HAQdeZCdk2EfrLdwLW+utc3O\r\n"
        "a=fingerprint:sha-256 01:E4:0A:68:05:00:E4:32:59:09:D7:91:46:B1:A7:E7:8E:2F:B7:AF:38:40:AA:28:EB:66:36:61:7E:26:60:DA\r\n"
        "a=setup:active\r\na=mid:0\r\na=inactive\r\na=rtcp-mux\r\n"
        "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\n";
    auto refused = sides.call.update(browser_answer);
    BOOST_TEST(refused.has_value());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 1u);
    BOOST_TEST(sides.sip.update_answers[0].seq == 8u);
    BOOST_TEST(sides.sip.update_answers[0].code == 488);
    BOOST_TEST(sides.sip.update_answers[0].sdp.empty());
    BOOST_TEST(sides.media.updated.size() == 1u);      
    BOOST_TEST(sides.audio_relay().phone.port == 7000);
    BOOST_TEST(sides.sip.ended.empty());
    BOOST_TEST(sides.call.state() == CallState::accepted);

    // A later offer the call can carry is answered.
    auto held = sides.call.sip_changed(reoffer(dialog_phone_sdp(3, "sendonly"), 9));
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 2u);
    BOOST_TEST(sides.sip.update_answers[1].code == 200);
    BOOST_TEST(has(sides.sip.update_answers[1].sdp, "m=audio 50002 RTP/AVP 0\r\n"));
    BOOST_TEST(has(sides.sip.update_answers[1].sdp, "a=recvonly"));                
    BOOST_TEST_REQUIRE(held.size() == 1u);
    BOOST_TEST(held[0].hold);
}

BOOST_AUTO_TEST_CASE(a_reoffer_before_the_call_is_answered_gets_488) {
    Sides sides;
    CallSession call = sides.place();
    BOOST_TEST(call.sip_changed(reoffer(dialog_phone_sdp(2, "sendonly"), 1)).empty());  // connecting
    call.sip_changed(call_update(1, sip::CallUpdate::Kind::progress));
    BOOST_TEST(call.state() == CallState::progress);
    BOOST_TEST(call.sip_changed(reoffer(dialog_phone_sdp(2, "sendonly"), 2)).empty());
    BOOST_TEST(call.sip_changed(reoffer({}, 3)).empty());  // without SDP too
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 3u);
    for (std::size_t index = 0; index < 3; ++index) {
        BOOST_TEST(sides.sip.update_answers[index].seq == index + 1);
        BOOST_TEST(sides.sip.update_answers[index].code == 488);
        BOOST_TEST(sides.sip.update_answers[index].sdp.empty());
    }
    BOOST_TEST(sides.media.updated.empty());
    BOOST_TEST(call.state() == CallState::progress);
    BOOST_TEST(sides.sip.ended.empty());

    // Incoming, answered by the browser, its ACK not in yet.
    CallSession incoming = std::get<CallSession>(sides.receive(fixture_sdp("sipp-3.6.1-uac-offer.sdp")));
    BOOST_TEST_REQUIRE(!incoming.answer(kBrowserAnswer).has_value());
    BOOST_TEST(incoming.state() == CallState::answering);
    std::size_t relay_updates = sides.media.updated.size();
    BOOST_TEST(incoming.sip_changed(reoffer(fixture_sdp("sipp-3.6.1-uac-offer.sdp"), 4, incoming.id())).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 4u);
    BOOST_TEST(sides.sip.update_answers[3].call == incoming.id());
    BOOST_TEST(sides.sip.update_answers[3].code == 488);
    BOOST_TEST(sides.media.updated.size() == relay_updates);
}

BOOST_AUTO_TEST_CASE(a_reoffer_without_sdp_gets_our_offer_and_its_answer_comes_in_the_ack) {
    AnsweredCall sides;
    BOOST_TEST(sides.call.sip_changed(reoffer({}, 21)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 1u);
    const RecordedAnswer offer = sides.sip.update_answers[0];
    BOOST_TEST(offer.seq == 21u);
    BOOST_TEST(offer.code == 200);
    // What the call carries, on the m-lines of the dialog, at the same ports.
    BOOST_TEST(has(offer.sdp, "m=audio 50002 RTP/AVP 0\r\n"));
    BOOST_TEST(has(offer.sdp, "a=rtpmap:0 PCMU/8000"));
    BOOST_TEST(!has(offer.sdp, "opus"));
    BOOST_TEST(has(offer.sdp, "a=sendrecv"));
    BOOST_TEST(has(offer.sdp, "m=video 0 "));
    BOOST_TEST(has(offer.sdp, "o=- 1 2 IN IP4"));  // it differs from the INVITE's
    BOOST_TEST(sides.media.updated.size() == 1u);  // nothing changes before the answer

    // The ACK's answer: the relay follows it.
    auto acked = sides.call.sip_changed(reoffer_acked(dialog_phone_sdp(2, "recvonly", 7008), 21));
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 2u);
    BOOST_TEST(sides.audio_relay().phone.port == 7008);
    BOOST_TEST(sides.audio_relay().phone.receives);
    BOOST_TEST(!sides.audio_relay().phone.sends);  // recvonly: its silence is no timeout
    BOOST_TEST_REQUIRE(acked.size() == 1u);
    BOOST_TEST(is_update(acked[0]));
    BOOST_TEST(acked[0].originator == "remote");
    BOOST_TEST(!acked[0].hold);
    BOOST_TEST(sides.sip.ended.empty());
    // Another ACK with SDP, with no offer of ours out, is nothing.
    BOOST_TEST(sides.call.sip_changed(reoffer_acked(dialog_phone_sdp(3, "sendrecv"), 21)).empty());
    BOOST_TEST(sides.media.updated.size() == 2u);

    // The refresh of the phone's answer gets our offer again.
    BOOST_TEST(sides.call.sip_changed(reoffer(dialog_phone_sdp(2, "recvonly", 7008), 22)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 2u);
    BOOST_TEST(sides.sip.update_answers[1].code == 200);
    BOOST_TEST(sides.sip.update_answers[1].sdp == offer.sdp);

    // An ACK without an answer: the phone holds a session we know nothing of; the call ends.
    BOOST_TEST(sides.call.sip_changed(reoffer({}, 23)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 3u);
    BOOST_TEST(sides.sip.update_answers[2].code == 200);
    BOOST_TEST(sides.call.sip_changed(reoffer_acked({}, 23)).empty());
    BOOST_TEST(sides.call.state() == CallState::terminating);
    BOOST_TEST_REQUIRE(sides.sip.ended.size() == 1u);
    BOOST_TEST(sides.sip.ended[0].first == 1u);
    BOOST_TEST(sides.sip.ended[0].second == 488);
    auto ended = sides.call.sip_changed(call_update(1, sip::CallUpdate::Kind::ended, {}, "200 Call completed"));
    BOOST_TEST_REQUIRE(ended.size() == 1u);
    BOOST_TEST(ended[0].state == "terminated");
    BOOST_TEST(ended[0].reason == "488 no SDP answer in the ACK");
}

BOOST_AUTO_TEST_CASE(the_browsers_hold_goes_to_the_phone_in_a_reinvite_and_its_answer_comes_back_as_an_update) {
    AnsweredCall sides(true);
    BOOST_TEST(sides.call.state() == CallState::established);
    BOOST_TEST(!sides.call.update(browser_offer_saying("sendonly")).has_value());
    BOOST_TEST(sides.call.state() == CallState::updating);
    BOOST_TEST_REQUIRE(sides.sip.updates.size() == 1u);
    const std::string offer = sides.sip.updates[0].second;
    BOOST_TEST(sides.sip.updates[0].first == 1u);
    BOOST_TEST(has(offer, "m=audio 50002 RTP/AVP 0\r\n"));  // the codec carried, at the same port
    BOOST_TEST(has(offer, "a=sendonly"));
    BOOST_TEST(!has(offer, "a=sendrecv"));
    BOOST_TEST(has(offer, "m=video 0 "));
    BOOST_TEST(has(offer, "o=- 1 2 IN IP4"));
    BOOST_TEST(sides.media.updated.size() == 1u);  // nothing changes before the answer
    BOOST_TEST(sides.sip.update_answers.empty());

    auto busy = sides.call.update(browser_offer_saying("sendrecv"));
    BOOST_TEST_REQUIRE(busy.has_value());
    BOOST_TEST(*busy == "an update is in progress");
    BOOST_TEST(sides.sip.updates.size() == 1u);

    auto answered = sides.call.sip_changed(update_answered(200, "200 OK", dialog_phone_sdp(2, "recvonly")));
    BOOST_TEST(sides.call.state() == CallState::established);
    BOOST_TEST_REQUIRE(answered.size() == 1u);
    BOOST_TEST(is_update(answered[0]));
    BOOST_TEST(answered[0].originator == "local");
    BOOST_TEST(answered[0].state == "accepted");
    BOOST_TEST(!answered[0].hold);  // the phone does not hold
    BOOST_TEST(has(answered[0].sdp, "a=recvonly"));
    BOOST_TEST(has(answered[0].sdp, "a=setup:passive"));  // an answer to the browser's offer
    BOOST_TEST(has(answered[0].sdp, "a=ice-ufrag:" + sides.media.opened.at(0).local_ice_ufrag));
    BOOST_TEST(has(answered[0].sdp, "a=rtpmap:0 PCMU/8000"));
    BOOST_TEST(!has(answered[0].sdp, "opus"));
    BOOST_TEST(has(answered[0].sdp, "o=- 1 2 IN IP4"));  // its second description to the browser
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 2u);
    BOOST_TEST(sides.audio_relay().phone.receives);  // the browser holds: what it sends goes on (silence, MoH)
    BOOST_TEST(!sides.audio_relay().phone.sends);    // recvonly: its silence is no timeout
    BOOST_TEST(sides.sip.ended.empty());

    // Resumed: a second update goes now.
    BOOST_TEST(!sides.call.update(browser_offer_saying("sendrecv")).has_value());
    BOOST_TEST_REQUIRE(sides.sip.updates.size() == 2u);
    BOOST_TEST(has(sides.sip.updates[1].second, "a=sendrecv"));
    BOOST_TEST(has(sides.sip.updates[1].second, "o=- 1 3 IN IP4"));
    auto resumed = sides.call.sip_changed(update_answered(200, "200 OK", dialog_phone_sdp(3, "sendrecv")));
    BOOST_TEST_REQUIRE(resumed.size() == 1u);
    BOOST_TEST(resumed[0].state == "accepted");
    BOOST_TEST(has(resumed[0].sdp, "a=sendrecv"));
    BOOST_TEST(sides.audio_relay().phone.receives);
    BOOST_TEST(sides.audio_relay().phone.sends);
    BOOST_TEST(sides.call.state() == CallState::established);
}

// The browser's offer the call was placed with, and a second video line added (mid 2),
// as a browser that turns its camera on offers it.
std::string browser_offer_adding_video() {
    std::string offer = fixture_sdp("chromium-156-offer-audio-video.sdp");
    std::string video = offer.substr(offer.find("m=video"));
    video = replaced(replaced(replaced(video, "a=mid:1", "a=mid:2"), "1702820187", "1702820188"), "2982563385", "2982563386");
    return replaced(offer, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2") + video;
}

// The phone's answer to that: audio as before, the first video line refused as before,
// the added one taken at `video_port` (0: refused) with VP8 under the browser's 96.
std::string phone_answer_with_video(unsigned version, int video_port) {
    return replaced(dialog_phone_sdp(version, "sendrecv"), "m=video 0 RTP/AVP 96\r\n",
                    "m=video 0 RTP/AVP 96\r\nm=video " + std::to_string(video_port) +
                        " RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n");
}

BOOST_AUTO_TEST_CASE(video_the_browser_adds_goes_to_the_phone_on_a_new_port_and_is_relayed_once_answered) {
    AnsweredCall sides(true);
    BOOST_TEST(!sides.call.update(browser_offer_adding_video()).has_value());
    // The new pair goes to the media session at once (it owns it from then on).
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 2u);
    BOOST_TEST_REQUIRE(sides.media.updated[1].added_phone_ports.size() == 1u);
    std::uint16_t added = sides.media.updated[1].added_phone_ports[0];
    BOOST_TEST(sides.media.updated[1].lines.size() == 2u);  // no line before the phone answers
    BOOST_TEST_REQUIRE(sides.sip.updates.size() == 1u);
    const std::string offer = sides.sip.updates[0].second;
    BOOST_TEST(has(offer, "m=video 0 "));  // the line the phone refused at first, still refused
    BOOST_TEST(has(offer, "m=video " + std::to_string(added) + " RTP/AVP 96 "));
    BOOST_TEST(has(offer, "a=rtpmap:96 VP8/90000"));

    auto notices = sides.call.sip_changed(update_answered(200, "OK", phone_answer_with_video(2, 7004)));
    BOOST_TEST_REQUIRE(notices.size() == 1u);
    BOOST_TEST(notices[0].state == "accepted");
    const std::string answer = notices[0].sdp;
    auto added_section = answer.find("a=mid:2");
    BOOST_TEST_REQUIRE(added_section != std::string::npos);
    BOOST_TEST(has(answer.substr(answer.rfind("m=video", added_section)), "VP8/90000"));
    BOOST_TEST(has(answer, "a=group:BUNDLE 0 2"), answer);  // the refused line 1 is not bundled
    const auto &relay = sides.media.updated.back();
    BOOST_TEST_REQUIRE(relay.lines.size() == 3u);
    BOOST_TEST(relay.lines[2].kind == "video");
    BOOST_TEST(relay.lines[2].phone_port == added);
    BOOST_TEST(relay.lines[2].phone.port == 7004);
    BOOST_TEST_REQUIRE(!relay.lines[2].payload_types.empty());
    BOOST_TEST(relay.lines[2].payload_types[0].browser == 96);
    BOOST_TEST(relay.lines[2].payload_types[0].phone == 96);
    BOOST_TEST(sides.call.state() == CallState::established);
}

BOOST_AUTO_TEST_CASE(video_the_phone_refuses_leaves_its_pair_for_the_next_try_and_the_limit_holds) {
    AnsweredCall sides(true);
    BOOST_TEST(!sides.call.update(browser_offer_adding_video()).has_value());
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 2u);
    std::uint16_t added = sides.media.updated[1].added_phone_ports.at(0);
    auto notices = sides.call.sip_changed(update_answered(200, "OK", phone_answer_with_video(2, 0)));
    BOOST_TEST_REQUIRE(notices.size() == 1u);
    BOOST_TEST(notices[0].state == "accepted");
    BOOST_TEST(sides.media.updated.back().lines.size() == 3u);  // relayed, carrying nothing
    BOOST_TEST(sides.media.updated.back().lines[2].payload_types.empty());

    // Another line added: one more pair; the limit (4 lines here) holds after that.
    std::string four = browser_offer_adding_video();
    std::string video = four.substr(four.rfind("m=video"));
    four = replaced(four, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2 3") +
           replaced(replaced(video, "a=mid:2", "a=mid:3"), "1702820188", "1702820189");
    std::size_t updates_before = sides.media.updated.size();
    BOOST_TEST(!sides.call.update(four).has_value());
    BOOST_TEST_REQUIRE(sides.media.updated.size() == updates_before + 1);
    BOOST_TEST(sides.media.updated.back().added_phone_ports.size() == 1u);
    BOOST_TEST(sides.media.updated.back().added_phone_ports.at(0) != added);
    BOOST_TEST(sides.call.sip_changed(update_answered(488, "Not Acceptable Here")).size() == 1u);
    // Refused: the pair stays the call's and the next try takes it again (no new pair).
    updates_before = sides.media.updated.size();
    BOOST_TEST(!sides.call.update(four).has_value());
    BOOST_TEST(sides.media.updated.size() == updates_before);
    BOOST_TEST(sides.call.sip_changed(update_answered(488, "Not Acceptable Here")).size() == 1u);
    std::string five = four;
    video = five.substr(five.rfind("m=video"));
    five = replaced(five, "a=group:BUNDLE 0 1 2 3", "a=group:BUNDLE 0 1 2 3 4") +
           replaced(replaced(video, "a=mid:3", "a=mid:4"), "1702820189", "1702820190");
    auto refused = sides.call.update(five);
    BOOST_TEST_REQUIRE(refused.has_value());
    BOOST_TEST(*refused == "too many media lines (at most 4)");
}

BOOST_AUTO_TEST_CASE(video_the_phone_adds_is_put_to_the_browser_on_a_fresh_mid_and_carried_once_it_answers) {
    AnsweredCall sides(true);
    auto asked = sides.call.sip_changed(reoffer(phone_answer_with_video(2, 7006), 8));
    // The pair for it goes to the media session at once; the phone waits for the browser.
    BOOST_TEST_REQUIRE(sides.media.updated.size() == 2u);
    BOOST_TEST_REQUIRE(sides.media.updated[1].added_phone_ports.size() == 1u);
    std::uint16_t added = sides.media.updated[1].added_phone_ports[0];
    BOOST_TEST(sides.sip.update_answers.empty());
    BOOST_TEST_REQUIRE(asked.size() == 1u);
    BOOST_TEST(asked[0].state == "received");
    const std::string offer = asked[0].sdp;
    auto section = offer.find("a=mid:2");
    BOOST_TEST_REQUIRE(section != std::string::npos, offer);
    BOOST_TEST(has(offer.substr(offer.rfind("m=video", section)), "VP8/90000"));
    BOOST_TEST(has(offer, "a=ice-ufrag:" + sides.media.opened.at(0).local_ice_ufrag));  // no ICE restart

    // The browser takes it (and keeps PCMU on the audio line).
    std::string browser_answer =
        "v=0\r\no=- 5 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 2\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:RstR\r\na=ice-pwd:HAQdeZCdk2EfrLdwLW+utc3O\r\n"
        "a=fingerprint:sha-256 01:E4:0A:68:05:00:E4:32:59:09:D7:91:46:B1:A7:E7:8E:2F:B7:AF:38:40:AA:28:EB:66:36:61:7E:26:60:DA\r\n"
        "a=setup:active\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n"
        "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=sendrecv\r\na=rtcp-mux\r\n"
        "a=rtpmap:96 VP8/90000\r\n";
    BOOST_TEST(!sides.call.update(browser_answer).has_value());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 1u);
    BOOST_TEST(sides.sip.update_answers[0].seq == 8u);
    BOOST_TEST(sides.sip.update_answers[0].code == 200);
    const std::string answer = sides.sip.update_answers[0].sdp;
    BOOST_TEST(has(answer, "m=video 0 "));  // the first video line, refused as before
    BOOST_TEST(has(answer, "m=video " + std::to_string(added) + " RTP/AVP 96"), answer);
    const auto &relay = sides.media.updated.back();
    BOOST_TEST_REQUIRE(relay.lines.size() == 3u);
    BOOST_TEST(relay.lines[2].phone_port == added);
    BOOST_TEST(relay.lines[2].phone.port == 7006);
    BOOST_TEST_REQUIRE(!relay.lines[2].payload_types.empty());
    BOOST_TEST(relay.lines[2].payload_types[0].browser == 96);
    BOOST_TEST(sides.call.state() == CallState::established);

    // The next offer of the phone (a refresh of it) is answered at once, with the video line.
    BOOST_TEST(sides.call.sip_changed(reoffer(phone_answer_with_video(2, 7006), 9)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 2u);
    BOOST_TEST(sides.sip.update_answers[1].sdp == answer);
}

BOOST_AUTO_TEST_CASE(an_update_is_refused_before_the_answer_and_for_an_ice_restart_or_other_m_lines) {
    Sides before;
    CallSession ringing = before.place();
    auto refused = ringing.update(browser_offer_saying("sendonly"));
    BOOST_TEST_REQUIRE(refused.has_value());
    BOOST_TEST(*refused == "not answered (connecting)");
    BOOST_TEST(before.sip.updates.empty());
    BOOST_TEST(ringing.state() == CallState::connecting);

    AnsweredCall sides;
    auto restart = sides.call.update(replaced(browser_offer_saying("sendonly"), "a=ice-ufrag:RstR", "a=ice-ufrag:NeW9"));
    BOOST_TEST_REQUIRE(restart.has_value());
    BOOST_TEST(has(*restart, "ICE restart"));
    auto certificate = sides.call.update(replaced(browser_offer_saying("sendonly"), "01:E4:0A:68", "02:E4:0A:68"));
    BOOST_TEST_REQUIRE(certificate.has_value());
    BOOST_TEST(has(*certificate, "DTLS certificate"));
    // The data channel added, the same ICE credentials and certificate.
    std::string three_lines = replaced(
        replaced(fixture_sdp("chromium-156-offer-audio-video-datachannel.sdp"), "a=ice-ufrag:2vl5", "a=ice-ufrag:RstR"),
        "48:43:A7:73:60:E2:A2:23:53:09:C3:2D:8B:FA:56:74:80:38:CC:95:19:BC:FA:EA:45:7F:76:06:B0:A6:CC:26",
        "01:E4:0A:68:05:00:E4:32:59:09:D7:91:46:B1:A7:E7:8E:2F:B7:AF:38:40:AA:28:EB:66:36:61:7E:26:60:DA");
    auto added = sides.call.update(three_lines);
    BOOST_TEST_REQUIRE(added.has_value());
    BOOST_TEST(*added == "only audio and video lines can be added (line 2 is application)");
    auto garbage = sides.call.update("not SDP");
    BOOST_TEST(garbage.has_value());
    BOOST_TEST(sides.sip.updates.empty());
    BOOST_TEST(sides.call.state() == CallState::accepted);
    BOOST_TEST(sides.media.updated.size() == 1u);

    // None of them stands in the way of a good one.
    BOOST_TEST(!sides.call.update(browser_offer_saying("sendonly")).has_value());
    BOOST_TEST(sides.sip.updates.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_update_fails_for_the_browser_and_481_ends_the_call) {
    AnsweredCall sides;
    BOOST_TEST_REQUIRE(!sides.call.update(browser_offer_saying("sendonly")).has_value());
    auto glare = sides.call.sip_changed(update_answered(491, "491 Request Pending"));
    BOOST_TEST_REQUIRE(glare.size() == 1u);
    BOOST_TEST(is_update(glare[0]));
    BOOST_TEST(glare[0].originator == "local");
    BOOST_TEST(glare[0].state == "failed");
    BOOST_TEST(glare[0].reason == "491 Request Pending");
    BOOST_TEST(glare[0].sdp.empty());
    BOOST_TEST(sides.sip.ended.empty());
    BOOST_TEST(sides.call.state() == CallState::accepted);
    BOOST_TEST(sides.media.updated.size() == 1u);
    // Only one outcome per update.
    BOOST_TEST(sides.call.sip_changed(update_answered(200, "200 OK", dialog_phone_sdp(2, "recvonly"))).empty());
    BOOST_TEST(sides.media.updated.size() == 1u);

    BOOST_TEST_REQUIRE(!sides.call.update(browser_offer_saying("sendonly")).has_value());
    auto refused = sides.call.sip_changed(update_answered(488, "488 Not Acceptable Here"));
    BOOST_TEST_REQUIRE(refused.size() == 1u);
    BOOST_TEST(refused[0].originator == "local");
    BOOST_TEST(refused[0].state == "failed");
    BOOST_TEST(refused[0].reason == "488 Not Acceptable Here");
    BOOST_TEST(sides.sip.ended.empty());
    BOOST_TEST(sides.call.state() == CallState::accepted);
    BOOST_TEST(sides.media.updated.size() == 1u);
    BOOST_TEST(sides.audio_relay().phone.receives);  // the relay still carries the session as it was

    // The phone keeps the session as it was, and so do we: its refresh is not answered with
    // the hold it refused.
    BOOST_TEST(sides.call.sip_changed(reoffer(dialog_phone_sdp(1, "sendrecv"), 30)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 1u);
    BOOST_TEST(sides.sip.update_answers[0].code == 200);
    BOOST_TEST(!has(sides.sip.update_answers[0].sdp, "a=sendonly"));
    BOOST_TEST(has(sides.sip.update_answers[0].sdp, "a=sendrecv")); 

    BOOST_TEST_REQUIRE(!sides.call.update(browser_offer_saying("sendonly")).has_value());
    auto gone = sides.call.sip_changed(update_answered(481, "481 Call/Transaction Does Not Exist"));
    BOOST_TEST_REQUIRE(gone.size() == 1u);
    BOOST_TEST(gone[0].state == "failed");
    BOOST_TEST_REQUIRE(sides.sip.ended.size() == 1u);
    BOOST_TEST(sides.sip.ended[0].first == 1u);
    BOOST_TEST(sides.call.state() == CallState::terminating);
    auto ended = sides.call.sip_changed(call_update(1, sip::CallUpdate::Kind::ended, {}, "200 Call completed"));
    BOOST_TEST_REQUIRE(ended.size() == 1u);
    BOOST_TEST(ended[0].reason == "481 Call/Transaction Does Not Exist");

    // 408 too.
    AnsweredCall timed_out;
    BOOST_TEST_REQUIRE(!timed_out.call.update(browser_offer_saying("sendonly")).has_value());
    timed_out.call.sip_changed(update_answered(408, "408 Request Timeout"));
    BOOST_TEST(timed_out.sip.ended.size() == 1u);
    BOOST_TEST(timed_out.call.state() == CallState::terminating);
}

BOOST_AUTO_TEST_CASE(a_2xx_to_our_update_without_a_usable_answer_ends_the_call) {
    AnsweredCall sides;
    BOOST_TEST_REQUIRE(!sides.call.update(browser_offer_saying("sendonly")).has_value());
    auto failed = sides.call.sip_changed(update_answered(200, "200 OK"));
    BOOST_TEST_REQUIRE(failed.size() == 1u);
    BOOST_TEST(failed[0].originator == "local");
    BOOST_TEST(failed[0].state == "failed");
    BOOST_TEST(failed[0].reason == "488 no SDP in the answer");
    BOOST_TEST_REQUIRE(sides.sip.ended.size() == 1u);
    BOOST_TEST(sides.sip.ended[0].second == 488);
    BOOST_TEST(sides.call.state() == CallState::terminating);
    BOOST_TEST(sides.media.updated.size() == 1u);

    AnsweredCall g729;
    BOOST_TEST_REQUIRE(!g729.call.update(browser_offer_saying("sendonly")).has_value());
    auto not_carried = g729.call.sip_changed(update_answered(
        200, "200 OK",
        dialog_phone_sdp(2, "recvonly", 7000, "m=audio 7000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n")));
    BOOST_TEST_REQUIRE(not_carried.size() == 1u);
    BOOST_TEST(not_carried[0].state == "failed");
    BOOST_TEST(has(not_carried[0].reason, "488 "));
    BOOST_TEST(g729.sip.ended.size() == 1u);
    BOOST_TEST(g729.media.updated.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_reoffer_that_crosses_our_update_gets_491) {
    AnsweredCall sides;
    BOOST_TEST_REQUIRE(!sides.call.update(browser_offer_saying("sendonly")).has_value());
    BOOST_TEST(sides.call.sip_changed(reoffer(dialog_phone_sdp(2, "sendonly"), 40)).empty());
    BOOST_TEST(sides.call.sip_changed(reoffer({}, 41)).empty());
    BOOST_TEST_REQUIRE(sides.sip.update_answers.size() == 2u);
    BOOST_TEST(sides.sip.update_answers[0].seq == 40u);
    BOOST_TEST(sides.sip.update_answers[0].code == 491);
    BOOST_TEST(sides.sip.update_answers[0].sdp.empty());
    BOOST_TEST(sides.sip.update_answers[1].seq == 41u);
    BOOST_TEST(sides.sip.update_answers[1].code == 491);
    BOOST_TEST(sides.media.updated.size() == 1u);
    BOOST_TEST(sides.call.state() == CallState::updating);

    // Our update goes on, against the agreement the refused offer left alone.
    auto answered = sides.call.sip_changed(update_answered(200, "200 OK", dialog_phone_sdp(2, "recvonly")));
    BOOST_TEST_REQUIRE(answered.size() == 1u);
    BOOST_TEST(answered[0].state == "accepted");
    BOOST_TEST(!answered[0].hold);
    BOOST_TEST(has(answered[0].sdp, "a=recvonly"));
    BOOST_TEST(sides.call.state() == CallState::accepted);
}

BOOST_AUTO_TEST_SUITE_END()
