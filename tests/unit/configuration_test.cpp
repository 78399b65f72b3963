#include "config/configuration.hpp"

#include <boost/test/unit_test.hpp>

using sylk::config::parse_configuration;

BOOST_AUTO_TEST_SUITE(configuration)

BOOST_AUTO_TEST_CASE(empty_object_gives_the_documented_defaults) {
    auto parsed = parse_configuration("{}");
    BOOST_REQUIRE(parsed.configuration);
    const auto &c = *parsed.configuration;
    BOOST_TEST(c.web_listen_address == "127.0.0.1");
    BOOST_TEST(c.web_listen_port == 10888);
    BOOST_TEST(c.web_origins.any);
    BOOST_TEST(c.sip_domains.any);
    BOOST_TEST(!c.outbound_sip_proxy);
    BOOST_TEST(!c.trace_client);
    BOOST_TEST(c.websocket_ping_interval == 120u);
    BOOST_TEST(!c.uses_tls());
}

BOOST_AUTO_TEST_CASE(every_setting_is_read) {
    auto parsed = parse_configuration(R"({
        "web_listen_address": "::1", "web_listen_port": 8443, "tls_certificate": "/etc/x.pem",
        "web_origins": ["https://a.example", "https://b.example"], "sip_domains": "Example.COM, other.org",
        "outbound_sip_proxy": "proxy.example.com:5061;transport=tls", "trace_client": true,
        "websocket_ping_interval": 30, "websocket_max_message_size": 4096})");
    BOOST_REQUIRE(parsed.configuration);
    const auto &c = *parsed.configuration;
    BOOST_TEST(c.web_listen_address == "::1");
    BOOST_TEST(c.web_listen_port == 8443);
    BOOST_TEST(c.uses_tls());
    BOOST_TEST(!c.web_origins.any);
    BOOST_TEST(c.web_origins.allows("https://b.example"));
    BOOST_TEST(!c.web_origins.allows("https://evil.example"));
    BOOST_TEST(c.sip_domains.allows("example.com"));  // lowercased
    BOOST_TEST(c.sip_domains.allows("other.org"));
    BOOST_TEST(!c.sip_domains.allows("example.net"));
    BOOST_TEST(c.outbound_sip_proxy->host == "proxy.example.com");
    BOOST_TEST(*c.outbound_sip_proxy->port == 5061);
    BOOST_TEST(*c.outbound_sip_proxy->transport == "tls");
    BOOST_TEST(c.outbound_sip_proxy->route_uri() == "sip:proxy.example.com:5061;transport=tls");
    BOOST_TEST(c.trace_client);
    BOOST_TEST(c.websocket_ping_interval == 30u);
    BOOST_TEST(c.websocket_max_message_size == 4096u);
}

BOOST_AUTO_TEST_CASE(sip_settings_are_read_with_their_defaults) {
    auto defaults = parse_configuration("{}");
    BOOST_REQUIRE(defaults.configuration);
    BOOST_TEST(defaults.configuration->sip_udp_port == 5060);
    BOOST_TEST(defaults.configuration->sip_tls_port == 5061);
    BOOST_TEST(defaults.configuration->register_expires == 600u);
    BOOST_TEST(defaults.configuration->unregister_timeout == 5u);
    BOOST_TEST(defaults.configuration->dns_servers.empty());
    auto parsed = parse_configuration(R"({"sip_listen_address": "10.0.0.5", "sip_udp_port": 0, "sip_tcp_port": 5070,
        "sip_tls_port": 5071, "sip_tls_ca_file": "/ca.pem", "dns_servers": "127.0.0.1:5353, 10.0.0.53",
        "register_expires": 120, "unregister_timeout": 2})");
    BOOST_REQUIRE(parsed.configuration);
    const auto &c = *parsed.configuration;
    BOOST_TEST(c.sip_listen_address == "10.0.0.5");
    BOOST_TEST(c.sip_udp_port == 0);
    BOOST_TEST(c.sip_tcp_port == 5070);
    BOOST_TEST(c.sip_tls_ca_file == "/ca.pem");
    BOOST_TEST(c.dns_servers == (std::vector<std::string>{"127.0.0.1:5353", "10.0.0.53"}));
    BOOST_TEST(c.register_expires == 120u);
    BOOST_TEST(c.unregister_timeout == 2u);
}

BOOST_AUTO_TEST_CASE(a_star_anywhere_allows_everything) {
    auto parsed = parse_configuration(R"({"sip_domains": ["example.com", "*"]})");
    BOOST_REQUIRE(parsed.configuration);
    BOOST_TEST(parsed.configuration->sip_domains.allows("anything.org"));
}

struct BadValue {
    const char *json;
    const char *setting;
    const char *reason_part;
};

BOOST_AUTO_TEST_CASE(bad_values_name_the_setting_and_the_reason) {
    const BadValue cases[] = {
        {R"({"web_listen_port": 0})", "web_listen_port", "from 1 to 65535"},
        {R"({"web_listen_port": 70000})", "web_listen_port", "from 1 to 65535"},
        {R"({"web_listen_port": "80"})", "web_listen_port", "whole number"},
        {R"({"web_listen_address": ""})", "web_listen_address", "empty"},
        {R"({"trace_client": "yes"})", "trace_client", "true or false"},
        {R"({"websocket_ping_interval": -1})", "websocket_ping_interval", "from 0"},
        {R"({"websocket_ping_interval": 1.5})", "websocket_ping_interval", "whole number"},
        {R"({"websocket_max_message_size": 10})", "websocket_max_message_size", "from 1024"},
        {R"({"web_origins": []})", "web_origins", "must not be empty"},
        {R"({"web_origins": [1]})", "web_origins", "list of strings"},
        {R"({"sip_domains": "bad domain!"})", "sip_domains", "not a domain"},
        {R"({"outbound_sip_proxy": "proxy:99999"})", "outbound_sip_proxy", "1 to 65535"},
        {R"({"outbound_sip_proxy": "proxy;transport=sctp"})", "outbound_sip_proxy", "transport"},
        {R"({"outbound_sip_proxy": "not a host"})", "outbound_sip_proxy", "host[:port]"},
        {R"({"no_such_setting": 1})", "no_such_setting", "unknown setting"},
        {R"({"sip_udp_port": 65536})", "sip_udp_port", "from 0 to 65535"},
        {R"({"register_expires": 5})", "register_expires", "from 10"},
        {R"({"unregister_timeout": 61})", "unregister_timeout", "from 0 to 60"},
        {R"({"dns_servers": 53})", "dns_servers", "list of strings"},
    };
    for (const auto &bad : cases) {
        BOOST_TEST_CONTEXT(bad.json) {
            auto parsed = parse_configuration(bad.json);
            BOOST_TEST(!parsed.configuration);
            BOOST_TEST(parsed.error.setting == bad.setting);
            BOOST_TEST(parsed.error.reason.find(bad.reason_part) != std::string::npos, parsed.error.reason);
        }
    }
}

BOOST_AUTO_TEST_CASE(media_settings_are_read_with_their_defaults) {
    auto defaults = parse_configuration(R"({"sip_listen_address": "10.0.0.5"})");
    BOOST_REQUIRE(defaults.configuration);
    const auto &d = *defaults.configuration;
    BOOST_TEST(d.rtp_port_first == 50000);
    BOOST_TEST(d.rtp_port_last == 50500);
    BOOST_TEST(d.rtp_timeout == 30u);
    BOOST_TEST(d.media_workers == 1u);
    BOOST_TEST(d.media_io_uring);
    BOOST_TEST(d.advertised_media_address() == "10.0.0.5");  // the SIP address when not set
    auto parsed = parse_configuration(R"({"rtp_port_range": "40000:40999", "rtp_timeout": 5,
        "media_address": "203.0.113.4", "media_workers": 4, "media_io_uring": false})");
    BOOST_REQUIRE(parsed.configuration);
    const auto &c = *parsed.configuration;
    BOOST_TEST(c.rtp_port_first == 40000);
    BOOST_TEST(c.rtp_port_last == 40999);
    BOOST_TEST(c.rtp_timeout == 5u);
    BOOST_TEST(c.advertised_media_address() == "203.0.113.4");
    BOOST_TEST(c.media_workers == 4u);
    BOOST_TEST(!c.media_io_uring);
    auto v6 = parse_configuration(R"({"media_address": "2001:db8::1"})");
    BOOST_REQUIRE(v6.configuration);
    BOOST_TEST(v6.configuration->media_address == "2001:db8::1");
}

BOOST_AUTO_TEST_CASE(bad_media_values_name_the_setting_and_the_reason) {
    const BadValue cases[] = {
        {R"({"rtp_port_range": "50000"})", "rtp_port_range", "first:last"},
        {R"({"rtp_port_range": "50000-50500"})", "rtp_port_range", "first:last"},
        {R"({"rtp_port_range": "500:600"})", "rtp_port_range", "from 1024 to 65535"},
        {R"({"rtp_port_range": "50000:70000"})", "rtp_port_range", "from 1024 to 65535"},
        {R"({"rtp_port_range": "50001:50002"})", "rtp_port_range", "no even/odd port pair"},
        {R"({"rtp_port_range": "50500:50000"})", "rtp_port_range", "no even/odd port pair"},
        {R"({"rtp_port_range": 50000})", "rtp_port_range", "must be a string"},
        {R"({"rtp_timeout": 0})", "rtp_timeout", "from 1 to 3600"},
        {R"({"media_address": "media.example.com"})", "media_address", "not an IPv4 or IPv6 address"},
        {R"({"media_address": "0.0.0.0"})", "media_address", "peers can send to"},
        {R"({"media_workers": 0})", "media_workers", "from 1 to 64"},
        {R"({"media_io_uring": "no"})", "media_io_uring", "true or false"},
    };
    for (const auto &bad : cases) {
        BOOST_TEST_CONTEXT(bad.json) {
            auto parsed = parse_configuration(bad.json);
            BOOST_TEST(!parsed.configuration);
            BOOST_TEST(parsed.error.setting == bad.setting);
            BOOST_TEST(parsed.error.reason.find(bad.reason_part) != std::string::npos, parsed.error.reason);
        }
    }
}

BOOST_AUTO_TEST_CASE(text_that_is_not_a_json_object_is_refused) {
    BOOST_TEST(!parse_configuration("[1]").configuration);
    auto parsed = parse_configuration("{nope");
    BOOST_TEST(!parsed.configuration);
    BOOST_TEST(parsed.error.reason.find("not valid JSON") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(proxy_forms_that_are_accepted_and_their_parts) {
    struct Case {
        const char *text, *host, *route;
    };
    for (const Case &proxy : {Case{"proxy.example.com", "proxy.example.com", "sip:proxy.example.com"},
                              Case{"10.0.0.1:5060", "10.0.0.1", "sip:10.0.0.1:5060"},
                              Case{"[::1]:5062;transport=tcp", "::1", "sip:[::1]:5062;transport=tcp"},
                              Case{"sip:p.example.org;transport=udp", "p.example.org", "sip:p.example.org;transport=udp"}}) {
        BOOST_TEST_CONTEXT(proxy.text) {
            auto parsed = parse_configuration(std::string(R"({"outbound_sip_proxy": ")") + proxy.text + "\"}");
            BOOST_TEST_REQUIRE(parsed.configuration.has_value(), parsed.error.reason);
            BOOST_TEST(parsed.configuration->outbound_sip_proxy->host == proxy.host);
            BOOST_TEST(parsed.configuration->outbound_sip_proxy->route_uri() == proxy.route);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
