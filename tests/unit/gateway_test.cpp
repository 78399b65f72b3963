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

// Records what the gateway asks of the SIP side.
struct RecordingRegistrar : gateway::AccountRegistrar {
    std::vector<sip::BindingSpec> registered;
    std::vector<sip::BindingId> unregistered, removed;
    void register_binding(sip::BindingSpec spec) override { registered.push_back(std::move(spec)); }
    void unregister_binding(sip::BindingId binding) override { unregistered.push_back(binding); }
    void remove_binding(sip::BindingId binding) override { removed.push_back(binding); }
};

struct Fixture {
    explicit Fixture(const std::string &configuration_json = "{}")
        : configuration(*config::parse_configuration(configuration_json).configuration),
          gateway(configuration, logger, counters, transport, registrar) {}

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
    RecordingRegistrar registrar;
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

BOOST_AUTO_TEST_CASE(register_hands_the_account_to_the_sip_side_and_relays_its_events) {
    Fixture f;
    f.gateway.client_opened(1, "peer");
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
    f.gateway.client_opened(1, "one");
    f.gateway.client_opened(2, "two");
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
    f.gateway.client_opened(1, "peer");
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
