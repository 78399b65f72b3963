#include "gateway/gateway.hpp"
#include "recording_sides.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <vector>

using namespace sylk;
using testing::call_update;
using testing::fixture_sdp;
using testing::RecordingCalls;
using testing::RecordingMedia;

namespace {

// Records what the gateway sends, in order, per client.
struct RecordingTransport : gateway::ClientTransport {
    std::vector<std::pair<gateway::ClientId, std::string>> sent;
    void send_text(gateway::ClientId client, std::string text) override { sent.emplace_back(client, std::move(text)); }

    boost::json::object last() const { return boost::json::parse(sent.back().second).as_object(); }
};

// Records what the gateway asks of the SIP side.
struct RecordingRegistrar : sip::AccountRegistrar {
    std::vector<sip::BindingSpec> registered;
    std::vector<sip::BindingId> unregistered, removed;
    void register_binding(sip::BindingSpec spec) override { registered.push_back(std::move(spec)); }
    void unregister_binding(sip::BindingId binding) override { unregistered.push_back(binding); }
    void remove_binding(sip::BindingId binding) override { removed.push_back(binding); }
};

struct Fixture {
    explicit Fixture(const std::string &configuration_json = "{}")
        : configuration(*config::parse_configuration(configuration_json).configuration),
          gateway(configuration, logger, counters, transport, registrar, calls, &media) {}

    boost::json::object request(gateway::ClientId client, const std::string &text) {
        std::size_t before = transport.sent.size();
        gateway.client_message(client, text);
        BOOST_REQUIRE_EQUAL(transport.sent.size(), before + 1);
        return transport.last();
    }

    config::Configuration configuration;
    log::Logger logger{nullptr};
    stats::Counters counters;
    RecordingTransport transport;
    RecordingRegistrar registrar;
    RecordingCalls calls;
    RecordingMedia media;
    gateway::Gateway gateway;
};

const std::string kHa1 = "0123456789abcdef0123456789abcdef";

std::string add_request(const std::string &account, const std::string &transaction = "T") {
    return R"({"sylkrtc":"add_account","transaction":")" + transaction + R"(","account":")" + account +
           R"(","password":")" + kHa1 + "\"}";
}
std::string remove_request(const std::string &account) {
    return R"({"sylkrtc":"remove_account","transaction":"R","account":")" + account + "\"}";
}

std::string json_request(boost::json::object message) { return boost::json::serialize(message); }

std::string create_request(const std::string &session, const std::string &sdp) {
    return json_request({{"sylkrtc", "session-create"}, {"transaction", "C"}, {"account", "alice@example.com"},
                         {"session", session}, {"uri", "bob@example.com"}, {"sdp", sdp}});
}

sip::CallUpdate incoming_call(sip::CallId id, sip::BindingId binding, std::optional<std::string> display_name,
                              std::string sdp) {
    sip::CallUpdate update = call_update(id, sip::CallUpdate::Kind::incoming, std::move(sdp));
    update.binding = binding;
    update.originator = "carol@example.com";
    update.display_name = std::move(display_name);
    return update;
}

// A client with alice@example.com added and registered.
struct CallFixture : Fixture {
    explicit CallFixture(const std::string &configuration_json = "{}") : Fixture(configuration_json) {
        gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
        request(1, add_request("alice@example.com"));
        request(1, R"({"sylkrtc":"register","transaction":"G","account":"alice@example.com"})");
        gateway.registration_changed({binding(), sip::RegistrationState::registered, ""});
    }
    sip::BindingId binding() const { return registrar.registered.back().id; }
    std::string state_of_last() const {
        auto last = transport.last();
        return std::string(last.at("data").at("state").as_string());
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_calls)

BOOST_AUTO_TEST_CASE(an_outgoing_call_goes_from_offer_to_terminated) {
    CallFixture f;
    auto ack = f.request(1, create_request("S1", fixture_sdp("chromium-156-offer-audio-video.sdp")));
    BOOST_TEST_REQUIRE(ack.at("sylkrtc").as_string() == "ack");
    BOOST_TEST_REQUIRE(f.calls.placed.size() == 1u);
    const auto &placed = f.calls.placed[0];
    BOOST_TEST(placed.target == "sip:bob@example.com");
    BOOST_TEST(placed.user == "alice");
    BOOST_TEST(placed.ha1 == kHa1);
    BOOST_TEST(placed.binding == f.binding());
    BOOST_TEST(placed.sdp.find("m=audio 50002 RTP/AVP 111") != std::string::npos);
    BOOST_TEST(placed.sdp.find("m=video 50004 RTP/AVP 96") != std::string::npos);
    BOOST_TEST_REQUIRE(f.media.opened.size() == 1u);
    BOOST_TEST(f.media.opened[0].browser.has_value());
    BOOST_TEST(f.counters.sessions == 1u);
    sip::CallId call = placed.id;

    f.gateway.call_changed(call_update(call, sip::CallUpdate::Kind::progress));
    BOOST_TEST(f.state_of_last() == "progress");
    f.gateway.call_changed(call_update(call, sip::CallUpdate::Kind::answered, fixture_sdp("sipp-3.6.1-uas-answer.sdp")));
    BOOST_TEST(f.state_of_last() == "accepted");
    std::string answer(f.transport.last().at("data").at("sdp").as_string());
    BOOST_TEST(answer.find("m=audio 50000 UDP/TLS/RTP/SAVPF 0") != std::string::npos);
    BOOST_TEST(answer.find("a=setup:passive") != std::string::npos);
    BOOST_TEST(answer.find("m=video 0 ") != std::string::npos);
    BOOST_TEST_REQUIRE(f.media.updated.size() == 1u);
    BOOST_TEST_REQUIRE(f.media.updated[0].lines.size() == 2u);  // the lines open() had, in place
    BOOST_TEST(f.media.updated[0].lines[0].phone.port == 6000);
    BOOST_TEST(f.media.updated[0].lines[1].phone.port == 0);  // video: refused by the phone

    f.gateway.media_changed({call, media::MediaEvent::Kind::established, ""});
    BOOST_TEST(f.state_of_last() == "established");
    BOOST_TEST(f.request(1, R"({"sylkrtc":"session-terminate","transaction":"E","session":"S1"})").at("sylkrtc").as_string() == "ack");
    BOOST_TEST_REQUIRE(f.calls.ended.size() == 1u);
    auto again = f.request(1, R"({"sylkrtc":"session-terminate","transaction":"E","session":"S1"})");
    BOOST_TEST(again.at("error").as_string() == "session already terminated: S1");
    f.gateway.call_changed(call_update(call, sip::CallUpdate::Kind::ended, {}, "200 Call completed"));
    BOOST_TEST(f.state_of_last() == "terminated");
    BOOST_TEST(f.transport.last().at("data").at("reason").as_string() == "200 Call completed");
    BOOST_TEST(f.media.closed == std::vector<media::MediaSessionId>{call});
    BOOST_TEST(f.counters.sessions == 0u);
}

BOOST_AUTO_TEST_CASE(bad_offers_are_refused_and_nothing_reaches_sip) {
    CallFixture f;
    auto malformed = f.request(1, create_request("S1", "this is not sdp"));
    BOOST_TEST(std::string(malformed.at("error").as_string()).rfind("invalid SDP: ", 0) == 0);
    auto no_ice = f.request(1, create_request("S1", "v=0\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"));
    BOOST_TEST(no_ice.at("error").as_string() == "invalid SDP: the SDP has no ICE credentials");
    f.media.exhausted = true;
    auto no_ports = f.request(1, create_request("S1", fixture_sdp("chromium-156-offer-audio-video.sdp")));
    BOOST_TEST(no_ports.at("error").as_string() == "no media ports available");
    BOOST_TEST(f.calls.placed.empty());
    BOOST_TEST(f.media.opened.empty());
    BOOST_TEST(f.counters.sessions == 0u);
}

BOOST_AUTO_TEST_CASE(an_incoming_call_is_offered_answered_and_a_missed_one_is_reported) {
    CallFixture f;
    sip::CallUpdate incoming = incoming_call(sip::kIncomingCallBit | 1, f.binding(), std::string("Carol"),
                                             fixture_sdp("sipp-3.6.1-uac-offer.sdp"));
    f.gateway.call_changed(incoming);
    auto event = f.transport.last();
    BOOST_TEST(event.at("event").as_string() == "incoming_session");
    BOOST_TEST(event.at("account").as_string() == "alice@example.com");
    BOOST_TEST(event.at("data").at("originator").as_string() == "carol@example.com");
    std::string offer(event.at("data").at("sdp").as_string());
    BOOST_TEST(offer.find("a=setup:actpass") != std::string::npos);
    std::string session(event.at("session").as_string());
    BOOST_TEST_REQUIRE(f.media.opened.size() == 1u);
    BOOST_TEST(f.media.opened[0].lines[0].phone.port == 6004);

    std::string browser_answer =
        "v=0\r\no=- 5 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:bRWs\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
        "a=fingerprint:sha-256 11:22:33\r\na=setup:active\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n";
    auto ack = f.request(1, json_request({{"sylkrtc", "session-answer"}, {"transaction", "A"}, {"session", session},
                                          {"sdp", browser_answer}}));
    BOOST_TEST_REQUIRE(ack.at("sylkrtc").as_string() == "ack");
    BOOST_TEST_REQUIRE(f.calls.answered.size() == 1u);
    BOOST_TEST(f.calls.answered[0].second.find("m=audio 50002 RTP/AVP 0") != std::string::npos);
    BOOST_TEST_REQUIRE(f.media.updated.size() == 1u);
    BOOST_TEST(f.media.updated[0].browser->fingerprint == "11:22:33");
    BOOST_TEST(f.media.updated[0].negotiated);  // the ICE and DTLS deadline starts now

    // The phone's ACK: `accepted` (once); then the media's `established`.
    std::size_t answered_at = f.transport.sent.size();
    f.gateway.call_changed(call_update(incoming.id, sip::CallUpdate::Kind::confirmed));
    BOOST_TEST(f.state_of_last() == "accepted");
    f.gateway.media_changed({incoming.id, media::MediaEvent::Kind::established, {}});
    BOOST_TEST(f.state_of_last() == "established");
    BOOST_TEST(f.transport.sent.size() == answered_at + 2);

    // A second call that ends before anyone answers: missed, then terminated.
    incoming.id = sip::kIncomingCallBit | 2;
    f.gateway.call_changed(incoming);
    std::string second(f.transport.last().at("session").as_string());
    sip::CallUpdate cancelled = call_update(incoming.id, sip::CallUpdate::Kind::ended, {}, "487 Request Terminated");
    std::size_t before = f.transport.sent.size();
    f.gateway.call_changed(cancelled);
    BOOST_TEST_REQUIRE(f.transport.sent.size() == before + 2);
    auto missed = boost::json::parse(f.transport.sent[before].second).as_object();
    BOOST_TEST(missed.at("event").as_string() == "missed_session");
    BOOST_TEST(missed.at("session").as_string() == second);
    BOOST_TEST(f.state_of_last() == "terminated");
}

BOOST_AUTO_TEST_CASE(declining_uses_the_configured_code_and_closing_ends_every_call) {
    CallFixture f(R"({"decline_code": 603})");
    f.gateway.call_changed(incoming_call(sip::kIncomingCallBit | 1, f.binding(), std::nullopt,
                                         fixture_sdp("sipp-3.6.1-uac-offer.sdp")));
    std::string session(f.transport.last().at("session").as_string());
    f.request(1, json_request({{"sylkrtc", "session-terminate"}, {"transaction", "D"}, {"session", session}}));
    BOOST_TEST_REQUIRE(f.calls.ended.size() == 1u);
    BOOST_TEST(f.calls.ended[0].second == 603);
    f.request(1, create_request("S2", fixture_sdp("chromium-156-offer-audio-video.sdp")));
    f.gateway.client_closed(1);
    BOOST_TEST(f.calls.ended.size() == 2u);  // the outgoing one; the declined one was already ending
    BOOST_TEST(f.media.closed.size() == 2u);
    BOOST_TEST(f.counters.sessions == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gateway_state)

BOOST_AUTO_TEST_CASE(a_new_client_gets_the_ready_event) {
    Fixture f;
    f.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    BOOST_TEST(f.transport.last().at("event").as_string() == "ready");
    BOOST_TEST(f.counters.connections == 1u);
}

BOOST_AUTO_TEST_CASE(accounts_are_added_once_and_removed_once) {
    Fixture f;
    f.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    BOOST_TEST(f.request(1, add_request("alice@example.com")).at("sylkrtc").as_string() == "ack");
    BOOST_TEST(f.counters.accounts == 1u);
    auto duplicate = f.request(1, add_request("alice@example.com", "T2"));
    BOOST_TEST(duplicate.at("sylkrtc").as_string() == "error");
    BOOST_TEST(duplicate.at("transaction").as_string() == "T2");
    BOOST_TEST(duplicate.at("error").as_string() == "account already added: alice@example.com");
    BOOST_TEST(f.counters.accounts == 1u);
    BOOST_TEST(f.request(1, remove_request("alice@example.com")).at("sylkrtc").as_string() == "ack");
    auto again = f.request(1, remove_request("alice@example.com"));
    BOOST_TEST(again.at("error").as_string() == "unknown account: alice@example.com");
    BOOST_TEST(f.counters.accounts == 0u);
}

BOOST_AUTO_TEST_CASE(the_same_account_may_live_on_two_connections) {
    Fixture f;
    f.gateway.client_opened(1, "one", protocol::Dialect::sylkrtc1);
    f.gateway.client_opened(2, "two", protocol::Dialect::sylkrtc1);
    BOOST_TEST(f.request(1, add_request("alice@example.com")).at("sylkrtc").as_string() == "ack");
    BOOST_TEST(f.request(2, add_request("alice@example.com")).at("sylkrtc").as_string() == "ack");
    f.gateway.client_closed(1);
    BOOST_TEST(f.counters.accounts == 1u);
    BOOST_TEST(f.request(2, remove_request("alice@example.com")).at("sylkrtc").as_string() == "ack");
}

BOOST_AUTO_TEST_CASE(sip_domains_limit_which_accounts_can_be_added) {
    Fixture f(R"({"sip_domains":["example.com"]})");
    f.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    BOOST_TEST(f.request(1, add_request("alice@EXAMPLE.com")).at("sylkrtc").as_string() == "ack");
    auto refused = f.request(1, add_request("mallory@evil.org"));
    BOOST_TEST(refused.at("error").as_string() == "domain not allowed: evil.org");
    BOOST_TEST(f.counters.accounts == 1u);
}

BOOST_AUTO_TEST_CASE(closing_a_connection_forgets_its_accounts) {
    Fixture f;
    f.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    f.request(1, add_request("a@example.com"));
    f.request(1, add_request("b@example.com"));
    f.gateway.client_closed(1);
    BOOST_TEST(f.counters.accounts == 0u);
    BOOST_TEST(f.counters.connections == 0u);
    std::size_t before = f.transport.sent.size();
    f.gateway.client_message(1, add_request("c@example.com"));  // a late frame of a closed client
    BOOST_TEST(f.transport.sent.size() == before);
}

BOOST_AUTO_TEST_CASE(register_hands_the_account_to_the_sip_side_and_relays_its_events) {
    Fixture f;
    f.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    f.request(1, add_request("alice@Example.com"));
    auto reg = f.request(1, R"({"sylkrtc":"register","transaction":"X","account":"alice@Example.com"})");
    BOOST_TEST(reg.at("sylkrtc").as_string() == "ack");
    BOOST_REQUIRE_EQUAL(f.registrar.registered.size(), 1u);
    const auto &spec = f.registrar.registered[0];
    BOOST_TEST(spec.user == "alice");
    BOOST_TEST(spec.domain == "example.com");
    BOOST_TEST(spec.ha1 == kHa1);
    f.gateway.registration_changed({spec.id, sip::RegistrationState::failed, "403 Forbidden"});
    auto event = f.transport.last();
    BOOST_TEST(event.at("sylkrtc").as_string() == "account_event");
    BOOST_TEST(event.at("account").as_string() == "alice@Example.com");
    BOOST_TEST(event.at("data").at("state").as_string() == "failed");
    BOOST_TEST(event.at("data").at("reason").as_string() == "403 Forbidden");
    BOOST_TEST(f.request(1, R"({"sylkrtc":"unregister","transaction":"U","account":"alice@Example.com"})")
                   .at("sylkrtc").as_string() == "ack");
    BOOST_TEST(f.registrar.unregistered == std::vector<sip::BindingId>{spec.id});
}

BOOST_AUTO_TEST_CASE(removing_or_disconnecting_removes_the_bindings_and_silences_their_events) {
    Fixture f;
    f.gateway.client_opened(1, "one", protocol::Dialect::sylkrtc1);
    f.gateway.client_opened(2, "two", protocol::Dialect::sylkrtc1);
    f.request(1, add_request("alice@example.com"));
    f.request(2, add_request("alice@example.com"));
    f.request(1, R"({"sylkrtc":"register","transaction":"X","account":"alice@example.com"})");
    f.request(2, R"({"sylkrtc":"register","transaction":"X","account":"alice@example.com"})");
    sip::BindingId first = f.registrar.registered[0].id, second = f.registrar.registered[1].id;
    BOOST_TEST(first != second);  // two connections, two bindings, two contacts
    f.request(1, remove_request("alice@example.com"));
    BOOST_TEST(f.registrar.removed == std::vector<sip::BindingId>{first});
    std::size_t before = f.transport.sent.size();
    f.gateway.registration_changed({first, sip::RegistrationState::unregistered, ""});
    BOOST_TEST(f.transport.sent.size() == before);
    f.gateway.client_closed(2);
    BOOST_TEST(f.registrar.removed.size() == 2u);
    BOOST_TEST(f.registrar.removed[1] == second);
}

BOOST_AUTO_TEST_CASE(requests_about_unknown_state_are_refused) {
    Fixture f;
    f.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    auto unknown = f.request(1, R"({"sylkrtc":"register","transaction":"X","account":"bob@example.com"})");
    BOOST_TEST(unknown.at("error").as_string() == "unknown account: bob@example.com");
    auto terminate = f.request(1, R"({"sylkrtc":"session-terminate","transaction":"X","session":"S1"})");
    BOOST_TEST(terminate.at("error").as_string() == "unknown session: S1");
}

BOOST_AUTO_TEST_CASE(dropped_messages_send_nothing) {
    Fixture f;
    f.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    std::size_t before = f.transport.sent.size();
    f.gateway.client_message(1, "{not json");
    f.gateway.client_message(1, R"({"sylkrtc":"add_account","account":"a@b.c"})");
    BOOST_TEST(f.transport.sent.size() == before);
}

BOOST_AUTO_TEST_SUITE_END()

// What one client may take, and what the gateway refuses from clients and phones
// (docs/security.md): every refusal is an answer, and nothing is reserved for it.
BOOST_AUTO_TEST_SUITE(gateway_limits)

BOOST_AUTO_TEST_CASE(an_account_that_is_not_registered_cannot_call_unless_the_setting_allows_it) {
    Fixture f;
    f.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    f.request(1, add_request("alice@example.com"));
    auto refused = f.request(1, create_request("S1", fixture_sdp("chromium-156-offer-audio-video.sdp")));
    BOOST_TEST(refused.at("error").as_string() ==
               "account not registered: alice@example.com (register it before calling)");
    // A registration that failed afterwards takes the right away again.
    f.request(1, R"({"sylkrtc":"register","transaction":"G","account":"alice@example.com"})");
    sip::BindingId binding = f.registrar.registered.back().id;
    f.gateway.registration_changed({binding, sip::RegistrationState::registered, ""});
    f.gateway.registration_changed({binding, sip::RegistrationState::failed, "408 Request Timeout"});
    BOOST_TEST(f.request(1, create_request("S1", fixture_sdp("chromium-156-offer-audio-video.sdp")))
                   .at("sylkrtc").as_string() == "error");
    BOOST_TEST(f.calls.placed.empty());
    BOOST_TEST(f.media.opened.empty());

    Fixture open(R"({"allow_unregistered_calls": true})");
    open.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    open.request(1, add_request("alice@example.com"));
    BOOST_TEST(open.request(1, create_request("S1", fixture_sdp("chromium-156-offer-audio-video.sdp")))
                   .at("sylkrtc").as_string() == "ack");
}

BOOST_AUTO_TEST_CASE(targets_at_inside_addresses_are_refused_before_anything_is_reserved) {
    CallFixture f;
    auto create_to = [&](const std::string &uri) {
        return f.request(1, json_request({{"sylkrtc", "session-create"}, {"transaction", "C"},
                                          {"account", "alice@example.com"}, {"session", "S1"}, {"uri", uri},
                                          {"sdp", fixture_sdp("chromium-156-offer-audio-video.sdp")}}));
    };
    BOOST_TEST(create_to("bob@10.0.0.7:5060").at("error").as_string() ==
               "destination not allowed: 10.0.0.7 is a private address (not in allowed_networks)");
    BOOST_TEST(create_to("sip:x@[fe80::1]").at("sylkrtc").as_string() == "error");
    BOOST_TEST(create_to("169.254.169.254").at("sylkrtc").as_string() == "error");
    BOOST_TEST(f.calls.placed.empty());
    BOOST_TEST(f.media.opened.empty());
    // The gateway's own network (127.0.0.1 is its default SIP address) is a lab: allowed.
    BOOST_TEST(create_to("bob@127.0.0.5:5080").at("sylkrtc").as_string() == "ack");
}

BOOST_AUTO_TEST_CASE(per_connection_limits_answer_with_the_setting_that_was_reached) {
    CallFixture f(R"({"max_accounts_per_connection": 2, "max_call_setups_per_connection": 2,
                      "max_calls_per_connection": 3, "max_media_lines": 1})");
    BOOST_TEST(f.request(1, add_request("bob@example.com")).at("sylkrtc").as_string() == "ack");
    BOOST_TEST(f.request(1, add_request("carol@example.com")).at("error").as_string() ==
               "limit reached: max_accounts_per_connection (2)");
    // Chromium's offer without its video section.
    std::string audio_only = fixture_sdp("chromium-156-offer-audio-video.sdp");
    audio_only.erase(audio_only.find("m=video"));
    audio_only.replace(audio_only.find("BUNDLE 0 1"), 10, "BUNDLE 0");
    BOOST_TEST(f.request(1, create_request("V", fixture_sdp("chromium-156-offer-audio-video.sdp")))
                   .at("error").as_string() == "limit reached: max_media_lines (1)");
    BOOST_TEST(f.request(1, create_request("S1", audio_only)).at("sylkrtc").as_string() == "ack");
    BOOST_TEST(f.request(1, create_request("S2", audio_only)).at("sylkrtc").as_string() == "ack");
    BOOST_TEST(f.request(1, create_request("S3", audio_only)).at("error").as_string() ==
               "limit reached: max_call_setups_per_connection (2)");
    // An answered call no longer counts as one in setup.
    f.gateway.call_changed(call_update(f.calls.placed[0].id, sip::CallUpdate::Kind::answered,
                                       fixture_sdp("sipp-3.6.1-uas-answer.sdp")));
    BOOST_TEST(f.request(1, create_request("S3", audio_only)).at("sylkrtc").as_string() == "ack");
    BOOST_TEST(f.request(1, create_request("S4", audio_only)).at("error").as_string() ==
               "limit reached: max_calls_per_connection (3)");
    BOOST_TEST(f.calls.placed.size() == 3u);
    // A phone calling the same connection meets the same limit: 486, and nothing reserved.
    std::size_t opened = f.media.opened.size();
    f.gateway.call_changed(incoming_call(sip::kIncomingCallBit | 9, f.binding(), std::nullopt,
                                         fixture_sdp("sipp-3.6.1-uac-offer.sdp")));
    BOOST_TEST_REQUIRE(f.calls.ended.size() == 1u);
    BOOST_TEST(f.calls.ended[0].second == 486);
    BOOST_TEST(f.media.opened.size() == opened);
}

BOOST_AUTO_TEST_CASE(max_calls_counts_every_connection_together) {
    CallFixture f(R"({"max_calls": 1})");
    f.gateway.client_opened(2, "other", protocol::Dialect::sylkrtc1);
    f.request(2, add_request("alice@example.com"));
    f.request(2, R"({"sylkrtc":"register","transaction":"G","account":"alice@example.com"})");
    f.gateway.registration_changed({f.registrar.registered.back().id, sip::RegistrationState::registered, ""});
    BOOST_TEST(f.request(1, create_request("S1", fixture_sdp("chromium-156-offer-audio-video.sdp")))
                   .at("sylkrtc").as_string() == "ack");
    BOOST_TEST(f.request(2, create_request("S2", fixture_sdp("chromium-156-offer-audio-video.sdp")))
                   .at("error").as_string() == "limit reached: max_calls (1)");
    BOOST_TEST(f.counters.refusals[static_cast<std::size_t>(stats::Refusal::max_calls)] == 1u);
}

BOOST_AUTO_TEST_CASE(a_request_flood_is_refused_beyond_the_rate_and_answered_all_the_same) {
    Fixture f(R"({"max_requests_per_second": 5})");
    f.gateway.client_opened(1, "peer", protocol::Dialect::sylkrtc1);
    std::size_t refused = 0;
    for (int i = 0; i < 200; ++i) {
        auto answer = f.request(1, R"({"sylkrtc":"register","transaction":"R","account":"x@example.com"})");
        if (std::string(answer.at("error").as_string()).rfind("limit reached: max_requests_per_second (5)", 0) == 0)
            ++refused;
    }
    BOOST_TEST(refused >= 170u);  // a burst of 25 passes (five seconds' worth), then about 5 a second
    BOOST_TEST(f.registrar.registered.empty());
}

// F5/F9: an inside address in a phone's SDP (a phone behind NAT shows its private one; a
// hostile phone, the gateway's own loopback) is taken, but only ever learnt from: the relay
// sends nothing there, only where the phone's own packets come from.
BOOST_AUTO_TEST_CASE(a_phone_whose_media_address_is_inside_is_only_learnt_from_both_ways) {
    CallFixture f;
    std::string inside = fixture_sdp("sipp-3.6.1-uac-offer.sdp");
    for (std::size_t at; (at = inside.find("127.0.0.1")) != std::string::npos;) inside.replace(at, 9, "10.9.8.7");
    f.gateway.call_changed(incoming_call(sip::kIncomingCallBit | 1, f.binding(), std::nullopt, inside));
    BOOST_TEST(f.calls.ended.empty());
    BOOST_TEST_REQUIRE(f.media.opened.size() == 1u);
    BOOST_TEST(f.media.opened[0].lines[0].phone.address == "10.9.8.7");
    BOOST_TEST(f.media.opened[0].lines[0].phone.learn_only);

    std::string answer = fixture_sdp("sipp-3.6.1-uas-answer.sdp");
    for (std::size_t at; (at = answer.find("127.0.0.1")) != std::string::npos;) answer.replace(at, 9, "10.9.8.7");
    f.request(1, create_request("S1", fixture_sdp("chromium-156-offer-audio-video.sdp")));
    f.gateway.call_changed(call_update(f.calls.placed[0].id, sip::CallUpdate::Kind::answered, answer));
    BOOST_TEST(f.calls.ended.empty());
    BOOST_TEST_REQUIRE(f.media.updated.size() == 1u);
    BOOST_TEST(f.media.updated[0].lines[0].phone.learn_only);
    BOOST_TEST(f.counters.refusals[static_cast<std::size_t>(stats::Refusal::media_address)] == 2u);  // once a call

    // An address the gateway may send to is not marked.
    f.request(1, create_request("S2", fixture_sdp("chromium-156-offer-audio-video.sdp")));
    f.gateway.call_changed(call_update(f.calls.placed[1].id, sip::CallUpdate::Kind::answered,
                                       fixture_sdp("sipp-3.6.1-uas-answer.sdp")));
    BOOST_TEST(!f.media.updated.back().lines[0].phone.learn_only);
}

BOOST_AUTO_TEST_CASE(a_phone_on_hold_at_0_0_0_0_is_not_refused_and_nothing_is_sent_to_it) {
    CallFixture f;
    std::string held = fixture_sdp("sipp-3.6.1-uas-answer.sdp");
    held.replace(held.find("c=IN IP4 127.0.0.1"), 18, "c=IN IP4 0.0.0.0");
    f.request(1, create_request("S1", fixture_sdp("chromium-156-offer-audio-video.sdp")));
    f.gateway.call_changed(call_update(f.calls.placed[0].id, sip::CallUpdate::Kind::answered, held));
    BOOST_TEST(f.calls.ended.empty());
    BOOST_TEST_REQUIRE(f.media.updated.size() == 1u);
    BOOST_TEST(f.media.updated[0].lines[0].phone.port == 0);  // no destination: Linux would loop 0.0.0.0 back
}

BOOST_AUTO_TEST_CASE(incoming_sessions_get_random_ids_a_client_cannot_have_taken) {
    CallFixture f;
    f.request(1, create_request("in-1", fixture_sdp("chromium-156-offer-audio-video.sdp")));
    f.gateway.call_changed(incoming_call(sip::kIncomingCallBit | 1, f.binding(), std::nullopt,
                                         fixture_sdp("sipp-3.6.1-uac-offer.sdp")));
    std::string id(f.transport.last().at("session").as_string());
    BOOST_TEST(id.size() == 36u);
    BOOST_TEST(id[14] == '4');  // a version 4 UUID
    BOOST_TEST(id != "in-1");
    f.gateway.client_closed(1);  // both calls end and free their media: nothing outlives the client
    BOOST_TEST(f.media.closed.size() == 2u);
    BOOST_TEST(f.counters.sessions == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
