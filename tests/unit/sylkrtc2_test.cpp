// sylkRTC-2's reader and writer: what the dialect takes, what it refuses, and how the
// gateway's typed events come out in its words (and still in sylkRTC-1's).
#include "protocol/client_headers.hpp"
#include "protocol/decoder.hpp"
#include "protocol/encoder.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace sylk::protocol;
using Outcome = DecodedMessage::Outcome;

namespace {

DecodedMessage decode2(const std::string &text) { return decode_message(text, Dialect::sylkrtc2); }

boost::json::object written2(const Event &event) { return boost::json::parse(encode(event, Dialect::sylkrtc2)).as_object(); }

std::string session_create_with(const std::string &header) {
    return R"({"sylkrtc":"session-create","transaction":"T","account":"alice@example.com","session":"S",)"
           R"("uri":"bob@example.com","sdp":"v=0","headers":[)" + header + "]}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sylkrtc2)

BOOST_AUTO_TEST_CASE(the_handshake_prefers_sylkrtc2_and_refuses_neither) {
    BOOST_TEST((choose_dialect({"sylkRTC-1", "sylkRTC-2"}) == Dialect::sylkrtc2));
    BOOST_TEST((choose_dialect({"sylkRTC-1"}) == Dialect::sylkrtc1));
    BOOST_TEST(!choose_dialect({"sylkRTC-3", "chat"}).has_value());
}

BOOST_AUTO_TEST_CASE(its_own_requests_are_known_to_it_alone) {
    auto ping = decode2(R"({"sylkrtc":"ping","transaction":"T"})");
    BOOST_TEST((ping.outcome == Outcome::request && std::holds_alternative<Ping>(ping.request)));
    auto old = decode_message(R"({"sylkrtc":"ping","transaction":"T"})", Dialect::sylkrtc1);
    BOOST_TEST((old.outcome == Outcome::reply_error && old.problem == "unknown request: ping"));
    // sylkRTC-1's underscore names are not sylkRTC-2's.
    BOOST_TEST((decode2(R"({"sylkrtc":"add_account","transaction":"T","account":"a@b.c","password":"x"})").outcome ==
                Outcome::reply_error));
}

BOOST_AUTO_TEST_CASE(account_add_strips_the_scheme_and_takes_a_plain_password) {
    auto decoded = decode2(R"({"sylkrtc":"account-add","transaction":"T","account":"sip:alice@example.com",)"
                           R"("password":"secret","user_agent":"Sylk 3.8","incoming_header_prefixes":["X-","X-"]})");
    BOOST_REQUIRE(decoded.outcome == Outcome::request);
    const auto &request = std::get<AddAccount>(decoded.request);
    BOOST_TEST(request.account == "alice@example.com");
    BOOST_TEST(request.password_is_plain);
    BOOST_TEST(*request.user_agent == "Sylk 3.8");
    BOOST_TEST(request.incoming_header_prefixes == std::vector<std::string>{"X-"});
    auto bad_agent = decode2(R"({"sylkrtc":"account-add","transaction":"T","account":"alice@example.com",)"
                             R"("password":"secret","user_agent":"a\r\nVia: x"})");
    BOOST_TEST((bad_agent.outcome == Outcome::reply_error));
    BOOST_TEST(bad_agent.problem == "invalid field: user_agent must not hold control characters");
    // Counts a client could make huge are bounded: 17 prefixes, a 10,000-character password.
    std::string prefixes;
    for (int i = 0; i < 17; ++i) prefixes += std::string(i ? "," : "") + "\"X-" + std::to_string(i) + "\"";
    auto many = decode2(R"({"sylkrtc":"account-add","transaction":"T","account":"alice@example.com",)"
                        R"("password":"secret","incoming_header_prefixes":[)" + prefixes + "]}");
    BOOST_TEST((many.outcome == Outcome::reply_error));
    auto long_password = decode2(R"({"sylkrtc":"account-add","transaction":"T","account":"alice@example.com",)"
                                 R"("password":")" + std::string(10000, 'p') + "\"}");
    BOOST_TEST(long_password.problem == "invalid field: password is longer than 9999 characters");
}

BOOST_AUTO_TEST_CASE(headers_that_could_change_the_sip_message_are_refused) {
    auto good = decode2(session_create_with(R"({"name":"X-Sylk-Call","value":"hello"})"));
    BOOST_REQUIRE(good.outcome == Outcome::request);
    BOOST_TEST(std::get<SessionCreate>(good.request).headers.size() == 1u);
    for (const char *header : {R"({"name":"Via","value":"x"})", R"({"name":"content-length","value":"0"})",
                               R"({"name":"i","value":"x"})", R"({"name":"X A","value":"x"})",
                               R"({"name":"X-A","value":"1\r\nVia: x"})", R"({"name":"X-A"})"}) {
        BOOST_TEST_CONTEXT(header) {
            BOOST_TEST((decode2(session_create_with(header)).outcome == Outcome::reply_error));
        }
    }
    std::string seventeen;
    for (int i = 0; i < 17; ++i) seventeen += std::string(i ? "," : "") + R"({"name":"X-A","value":"1"})";
    BOOST_TEST((decode2(session_create_with(seventeen)).outcome == Outcome::reply_error));
}

BOOST_AUTO_TEST_CASE(messaging_and_video_rooms_are_refused_by_name) {
    for (const char *name : {"account-message", "account-sync-conversations", "videoroom-join", "session-message"}) {
        auto decoded = decode2(std::string(R"({"sylkrtc":")") + name + R"(","transaction":"T"})");
        BOOST_REQUIRE(decoded.outcome == Outcome::request);
        BOOST_TEST(std::get<Unsupported>(decoded.request).name == name);
    }
}

BOOST_AUTO_TEST_CASE(the_prefixes_choose_headers_regardless_of_case) {
    Headers all{{"X-Sylk-Trace", "1"}, {"x-sylk-other", "2"}, {"Y-Sylk", "3"}, {"Subject", "4"}};
    auto chosen = headers_with_prefixes(all, {"X-SYLK-"});
    BOOST_REQUIRE(chosen.size() == 2u);
    BOOST_TEST(chosen[1].name == "x-sylk-other");
    BOOST_TEST(headers_with_prefixes(all, {}).empty());
}

BOOST_AUTO_TEST_CASE(events_come_out_flattened_with_the_caller_as_an_object) {
    BOOST_TEST(encode(ReadyEvent{}, Dialect::sylkrtc2) == R"({"sylkrtc":"ready-event"})");
    auto incoming = written2(IncomingSessionEvent{"alice@example.com", "S", "carol@example.com", "Carol", "v=0", "c1", {}});
    BOOST_TEST(incoming.at("event").as_string() == "incoming-session");
    BOOST_TEST(incoming.at("originator").at("uri").as_string() == "carol@example.com");
    BOOST_TEST(incoming.at("originator").at("display_name").as_string() == "Carol");
    BOOST_TEST(incoming.at("headers").as_object().empty());  // never null
    BOOST_TEST(!incoming.contains("data"));
    // In sylkRTC-1 the same event keeps its old shape.
    auto old = boost::json::parse(encode(IncomingSessionEvent{"alice@example.com", "S", "carol@example.com", "Carol",
                                                              "v=0", "c1", {}},
                                         Dialect::sylkrtc1));
    BOOST_TEST(old.at("data").at("originator").as_string() == "carol@example.com");
    BOOST_TEST(encode(RegistrationStateEvent{"a@b.c", "unregistered", ""}, Dialect::sylkrtc2).empty());
}

BOOST_AUTO_TEST_CASE(the_phones_1xx_become_ringing_proceeding_or_early_media) {
    BOOST_TEST(written2(SessionProgressEvent{"S", 180, "", "c"}).at("state").as_string() == "ringing");
    auto proceeding = written2(SessionProgressEvent{"S", 183, "", "c"});
    BOOST_TEST(proceeding.at("state").as_string() == "proceeding");
    BOOST_TEST(proceeding.at("code").as_int64() == 183);
    auto early = written2(SessionProgressEvent{"S", 183, "v=0", "c"});
    BOOST_TEST(early.at("state").as_string() == "early-media");
    BOOST_TEST(early.at("sdp").as_string() == "v=0");
    auto accepted = written2(SessionStateEvent{"S", "accepted", "v=0", "", true, "c", {{"X-A", "1"}}});
    BOOST_TEST(!accepted.contains("sdp"));  // given with early-media already
    BOOST_TEST(accepted.at("headers").at("X-A").as_string() == "1");
    // sylkRTC-1 says progress for each 1xx, and gives the answer again on accepted.
    BOOST_TEST(encode(SessionPlacedEvent{"S"}, Dialect::sylkrtc1).empty());
    auto old = boost::json::parse(encode(SessionStateEvent{"S", "accepted", "v=0", "", true, "c", {}}, Dialect::sylkrtc1));
    BOOST_TEST(old.at("data").at("sdp").as_string() == "v=0");
}

BOOST_AUTO_TEST_SUITE_END()
