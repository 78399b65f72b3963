#include "gateway/gateway.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <vector>

using namespace sylk;

namespace {

// Records what the gateway sends, in order, per client.
struct RecordingTransport : gateway::ClientTransport {
    std::vector<std::pair<gateway::ClientId, std::string>> sent;
    void send_text(gateway::ClientId client, std::string text) override { sent.emplace_back(client, std::move(text)); }

    boost::json::object last() const { return boost::json::parse(sent.back().second).as_object(); }
};

struct Fixture {
    explicit Fixture(const std::string &configuration_json = "{}")
        : configuration(*config::parse_configuration(configuration_json).configuration),
          gateway(configuration, logger, counters, transport) {}

    boost::json::object request(gateway::ClientId client, const std::string &text) {
        std::size_t before = transport.sent.size();
        gateway.client_message(client, text);
        BOOST_REQUIRE_EQUAL(transport.sent.size(), before + 1);
        return transport.last();
    }

    config::Configuration configuration;
    log::Logger logger{nullptr};
    gateway::Counters counters;
    RecordingTransport transport;
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

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_state)

BOOST_AUTO_TEST_CASE(a_new_client_gets_the_ready_event) {
    Fixture f;
    f.gateway.client_opened(1, "peer");
    BOOST_TEST(f.transport.last().at("event").as_string() == "ready");
    BOOST_TEST(f.counters.connections == 1u);
}

BOOST_AUTO_TEST_CASE(accounts_are_added_once_and_removed_once) {
    Fixture f;
    f.gateway.client_opened(1, "peer");
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
    f.gateway.client_opened(1, "one");
    f.gateway.client_opened(2, "two");
    BOOST_TEST(f.request(1, add_request("alice@example.com")).at("sylkrtc").as_string() == "ack");
    BOOST_TEST(f.request(2, add_request("alice@example.com")).at("sylkrtc").as_string() == "ack");
    f.gateway.client_closed(1);
    BOOST_TEST(f.counters.accounts == 1u);
    BOOST_TEST(f.request(2, remove_request("alice@example.com")).at("sylkrtc").as_string() == "ack");
}

BOOST_AUTO_TEST_CASE(sip_domains_limit_which_accounts_can_be_added) {
    Fixture f(R"({"sip_domains":["example.com"]})");
    f.gateway.client_opened(1, "peer");
    BOOST_TEST(f.request(1, add_request("alice@EXAMPLE.com")).at("sylkrtc").as_string() == "ack");
    auto refused = f.request(1, add_request("mallory@evil.org"));
    BOOST_TEST(refused.at("error").as_string() == "domain not allowed: evil.org");
    BOOST_TEST(f.counters.accounts == 1u);
}

BOOST_AUTO_TEST_CASE(closing_a_connection_forgets_its_accounts) {
    Fixture f;
    f.gateway.client_opened(1, "peer");
    f.request(1, add_request("a@example.com"));
    f.request(1, add_request("b@example.com"));
    f.gateway.client_closed(1);
    BOOST_TEST(f.counters.accounts == 0u);
    BOOST_TEST(f.counters.connections == 0u);
    std::size_t before = f.transport.sent.size();
    f.gateway.client_message(1, add_request("c@example.com"));  // a late frame of a closed client
    BOOST_TEST(f.transport.sent.size() == before);
}

BOOST_AUTO_TEST_CASE(requests_that_need_sip_say_so_clearly) {
    Fixture f;
    f.gateway.client_opened(1, "peer");
    f.request(1, add_request("alice@example.com"));
    auto reg = f.request(1, R"({"sylkrtc":"register","transaction":"X","account":"alice@example.com"})");
    BOOST_TEST(reg.at("error").as_string() == "registration is not available yet");
    auto unknown = f.request(1, R"({"sylkrtc":"register","transaction":"X","account":"bob@example.com"})");
    BOOST_TEST(unknown.at("error").as_string() == "unknown account: bob@example.com");
    auto terminate = f.request(1, R"({"sylkrtc":"session-terminate","transaction":"X","session":"S1"})");
    BOOST_TEST(terminate.at("error").as_string() == "unknown session: S1");
}

BOOST_AUTO_TEST_CASE(dropped_messages_send_nothing) {
    Fixture f;
    f.gateway.client_opened(1, "peer");
    std::size_t before = f.transport.sent.size();
    f.gateway.client_message(1, "{not json");
    f.gateway.client_message(1, R"({"sylkrtc":"add_account","account":"a@b.c"})");
    BOOST_TEST(f.transport.sent.size() == before);
}

BOOST_AUTO_TEST_SUITE_END()
