#include "protocol/decoder.hpp"
#include "protocol/encoder.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace sylk::protocol;
using Outcome = DecodedMessage::Outcome;

namespace {
const std::string kHa1 = "0123456789abcdef0123456789abcdef";

std::string add_account(const std::string &name) {
    return R"({"sylkrtc":")" + name + R"(","transaction":"T","account":"alice@example.com","password":")" +
           kHa1 + R"(","display_name":"Alice"})";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(decoder)

BOOST_AUTO_TEST_CASE(every_spelling_of_add_account_decodes_to_the_same_request) {
    for (const char *name : {"add_account", "account-add", "account_add"}) {
        BOOST_TEST_CONTEXT(name) {
            auto decoded = decode_message(add_account(name));
            BOOST_REQUIRE(decoded.outcome == Outcome::request);
            BOOST_TEST(decoded.transaction == "T");
            const auto &request = std::get<AddAccount>(decoded.request);
            BOOST_TEST(request.account == "alice@example.com");
            BOOST_TEST(request.address.user == "alice");
            BOOST_TEST(request.address.domain == "example.com");
            BOOST_TEST(request.ha1 == kHa1);
            BOOST_TEST(*request.display_name == "Alice");
        }
    }
}

BOOST_AUTO_TEST_CASE(every_spelling_of_the_account_requests_is_known) {
    const std::pair<const char *, std::size_t> names[] = {
        {"remove_account", 1}, {"account-remove", 1}, {"account_remove", 1},
        {"register", 2},       {"account-register", 2}, {"account_register", 2},
        {"unregister", 3},     {"account-unregister", 3}, {"account_unregister", 3}};
    for (const auto &[name, index] : names) {
        BOOST_TEST_CONTEXT(name) {
            auto decoded = decode_message(std::string(R"({"sylkrtc":")") + name +
                                          R"(","transaction":"x","account":"bob@example.org"})");
            BOOST_REQUIRE(decoded.outcome == Outcome::request);
            BOOST_TEST(decoded.request.index() == index);
        }
    }
}

BOOST_AUTO_TEST_CASE(session_requests_decode_with_their_fields) {
    auto create = decode_message(
        R"({"sylkrtc":"session-create","transaction":"1","account":"a@b.c","session":"S1","uri":"sip:bob@b.c","sdp":"v=0"})");
    BOOST_REQUIRE(create.outcome == Outcome::request);
    BOOST_TEST(std::get<SessionCreate>(create.request).uri == "sip:bob@b.c");

    auto trickle = decode_message(
        R"({"sylkrtc":"session-trickle","transaction":"2","session":"S1","candidates":[{"candidate":"candidate:1 1 UDP 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}]})");
    BOOST_REQUIRE(trickle.outcome == Outcome::request);
    const auto &candidates = std::get<SessionTrickle>(trickle.request).candidates;
    BOOST_REQUIRE(candidates.size() == 1u);
    BOOST_TEST(*candidates[0].sdp_mid == "0");
    BOOST_TEST(*candidates[0].sdp_mline_index == 0u);

    auto end_of_candidates = decode_message(R"({"sylkrtc":"session-trickle","transaction":"3","session":"S1","candidates":[]})");
    BOOST_REQUIRE(end_of_candidates.outcome == Outcome::request);
    BOOST_TEST(std::get<SessionTrickle>(end_of_candidates.request).candidates.empty());
}

struct BadInput {
    const char *text;
    Outcome outcome;
    const char *problem_part;
};

BOOST_AUTO_TEST_CASE(bad_input_follows_the_protocol_table) {
    const BadInput cases[] = {
        {"not json", Outcome::drop, "not JSON"},
        {"[1,2]", Outcome::drop, "not a JSON object"},
        {"\"text\"", Outcome::drop, "not a JSON object"},
        {R"({"transaction":"T"})", Outcome::reply_error, "missing field: sylkrtc"},
        {R"({"sylkrtc":5,"transaction":"T"})", Outcome::reply_error, "sylkrtc must be a string"},
        {R"({"account":"a@b.c"})", Outcome::drop, "missing field: sylkrtc"},
        {R"({"sylkrtc":"nonsense","transaction":"T"})", Outcome::reply_error, "unknown request: nonsense"},
        {R"({"sylkrtc":"add_account","account":"a@b.c"})", Outcome::drop, "no transaction"},
        {R"({"sylkrtc":"add_account","transaction":7})", Outcome::drop, "non-string transaction"},
        {R"({"sylkrtc":"add_account","transaction":"T","password":"0123456789abcdef0123456789abcdef"})",
         Outcome::reply_error, "missing field: account"},
        {R"({"sylkrtc":"add_account","transaction":"T","account":"nodomain","password":"0123456789abcdef0123456789abcdef"})",
         Outcome::reply_error, "invalid field: account"},
        {R"({"sylkrtc":"add_account","transaction":"T","account":"a@b.c","password":"plain-password"})",
         Outcome::reply_error, "invalid field: password"},
        {R"({"sylkrtc":"add_account","transaction":"T","account":"a@b.c"})", Outcome::reply_error, "missing field: password"},
        {R"({"sylkrtc":"add_account","transaction":"T","account":"a@b.c","password":"0123456789abcdef0123456789abcdef","display_name":3})",
         Outcome::reply_error, "invalid field: display_name"},
        {R"({"sylkrtc":"register","transaction":"T","account":["a@b.c"]})", Outcome::reply_error, "invalid field: account"},
        {R"({"sylkrtc":"session-create","transaction":"T","account":"a@b.c","session":"S","uri":"bob@","sdp":"v=0"})",
         Outcome::reply_error, "invalid field: uri"},
        {R"({"sylkrtc":"session-create","transaction":"T","account":"a@b.c","session":"","uri":"bob@b.c","sdp":"v=0"})",
         Outcome::reply_error, "invalid field: session"},
        {R"({"sylkrtc":"session-answer","transaction":"T","session":"S"})", Outcome::reply_error, "missing field: sdp"},
        {R"({"sylkrtc":"session-trickle","transaction":"T","session":"S"})", Outcome::reply_error, "missing field: candidates"},
        {R"({"sylkrtc":"session-trickle","transaction":"T","session":"S","candidates":{}})", Outcome::reply_error, "must be a list"},
        {R"({"sylkrtc":"session-trickle","transaction":"T","session":"S","candidates":[{"sdpMid":"0"}]})",
         Outcome::reply_error, "missing field: candidate"},
        {R"({"sylkrtc":"session-trickle","transaction":"T","session":"S","candidates":[{"candidate":"c","sdpMLineIndex":-1}]})",
         Outcome::reply_error, "sdpMLineIndex"},
        {R"({"sylkrtc":"session-terminate","transaction":"T"})", Outcome::reply_error, "missing field: session"},
    };
    for (const auto &bad : cases) {
        BOOST_TEST_CONTEXT(bad.text) {
            auto decoded = decode_message(bad.text);
            BOOST_TEST(static_cast<int>(decoded.outcome) == static_cast<int>(bad.outcome));
            BOOST_TEST(decoded.problem.find(bad.problem_part) != std::string::npos, decoded.problem);
        }
    }
}

BOOST_AUTO_TEST_CASE(trace_masking_hides_the_ha1_and_never_echoes_unparsed_text) {
    std::string masked = masked_for_log(add_account("add_account"));
    BOOST_TEST(masked.find(kHa1) == std::string::npos);
    BOOST_TEST(masked.find("alice@example.com") != std::string::npos);
    std::string broken = R"({"password":")" + kHa1;  // not JSON: must not leak
    BOOST_TEST(masked_for_log(broken).find(kHa1) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(answers_escape_the_client_strings) {
    namespace json = boost::json;
    auto ack = json::parse(encode_ack("quote\" and \\ slash"));
    BOOST_TEST(ack.at("sylkrtc").as_string() == "ack");
    BOOST_TEST(ack.at("transaction").as_string() == "quote\" and \\ slash");
    auto error = json::parse(encode_error("T", "unknown request: \"x\"\n"));
    BOOST_TEST(error.at("error").as_string() == "unknown request: \"x\"\n");
}

BOOST_AUTO_TEST_SUITE_END()
