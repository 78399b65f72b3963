#include "protocol/account_address.hpp"

#include <boost/test/unit_test.hpp>

using namespace sylk::protocol;

BOOST_AUTO_TEST_SUITE(account_address)

BOOST_AUTO_TEST_CASE(user_at_domain_is_split_and_the_domain_lowercased) {
    auto address = parse_account_address("Alice.Smith@Example.COM");
    BOOST_REQUIRE(address);
    BOOST_TEST(address->user == "Alice.Smith");
    BOOST_TEST(address->domain == "example.com");
}

BOOST_AUTO_TEST_CASE(accepted_forms) {
    for (const char *text : {"alice@example.com", "+31208005000@sip2sip.info", "a%20b@10.0.0.1",
                             "bob@[2001:db8::1]", "x_y-z@host", "1000@sub.domain.example.org."}) {
        BOOST_TEST_CONTEXT(text) { BOOST_TEST(parse_account_address(text).has_value()); }
    }
}

BOOST_AUTO_TEST_CASE(refused_forms) {
    for (const char *text : {"", "alice", "@example.com", "alice@", "alice@@example.com", "a@b@c",
                             "sip:alice@example.com", "al ice@example.com", "alice@exa mple.com",
                             "alice@-bad.com", "alice@bad..com", "a%2@example.com", "alice@example.com\n"}) {
        BOOST_TEST_CONTEXT(text) { BOOST_TEST(!parse_account_address(text).has_value()); }
    }
}

// Found by fuzz/display_name_header: "alice@::1" went out as "sip:alice@::1", which a
// registrar reads as host "" and port ":1" (corpus: regression-bare-ipv6-domain.json).
BOOST_AUTO_TEST_CASE(an_ipv6_domain_needs_its_brackets) {
    BOOST_TEST(parse_account_address("alice@[::1]").has_value());
    for (const char *text : {"alice@::1", "alice@2001:db8::1", "alac?/@:6979:..66.."})
        BOOST_TEST_CONTEXT(text) { BOOST_TEST(!parse_account_address(text).has_value()); }
}

BOOST_AUTO_TEST_CASE(call_targets_may_carry_a_sip_scheme) {
    BOOST_TEST(is_valid_call_target("bob@example.com"));
    BOOST_TEST(is_valid_call_target("sip:bob@example.com"));
    BOOST_TEST(is_valid_call_target("sips:bob@example.com"));
    BOOST_TEST(is_valid_call_target("example.com"));
    BOOST_TEST(!is_valid_call_target("bob@"));
    BOOST_TEST(!is_valid_call_target("http://x"));
    BOOST_TEST(is_valid_call_target("bob@127.0.0.1:5080"));
    BOOST_TEST(is_valid_call_target("sip:phone.example.com:5062"));
    for (const char *bad : {"bob@127.0.0.1:", "bob@127.0.0.1:0", "bob@127.0.0.1:65536", "bob@host:5x"})
        BOOST_TEST(!is_valid_call_target(bad), bad);
}

BOOST_AUTO_TEST_CASE(ha1_is_exactly_32_lowercase_hex_characters) {
    BOOST_TEST(is_valid_ha1("0123456789abcdef0123456789abcdef"));
    BOOST_TEST(!is_valid_ha1("0123456789ABCDEF0123456789ABCDEF"));
    BOOST_TEST(!is_valid_ha1("0123456789abcdef0123456789abcde"));
    BOOST_TEST(!is_valid_ha1("0123456789abcdef0123456789abcdef0"));
    BOOST_TEST(!is_valid_ha1("secret-password-in-plain-text!!!"));
}

BOOST_AUTO_TEST_SUITE_END()
