#include "access/address_policy.hpp"

#include <boost/test/unit_test.hpp>

using namespace sylk::access;

BOOST_AUTO_TEST_SUITE(address_policy)

BOOST_AUTO_TEST_CASE(inside_addresses_are_refused_and_public_ones_allowed) {
    AddressPolicy policy;
    for (const char *inside : {"127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                               "100.64.0.1", "169.254.169.254", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::",
                               "fe80::1", "fd00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "[::1]"})
        BOOST_TEST_CONTEXT(inside) { BOOST_TEST(policy.refusal(inside).has_value()); }
    for (const char *outside : {"192.0.2.7", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:db8::1", "::ffff:8.8.8.8"})
        BOOST_TEST_CONTEXT(outside) { BOOST_TEST(!policy.refusal(outside).has_value()); }
    BOOST_TEST(*policy.refusal("10.0.0.7") == "10.0.0.7 is a private address (not in allowed_networks)");
    BOOST_TEST(policy.refusal("example.com").has_value());  // not an address: refused, never guessed
}

BOOST_AUTO_TEST_CASE(allowed_networks_open_exactly_their_range) {
    AddressPolicy policy({*parse_network("10.1.0.0/16"), *parse_network("fd00::/8"), *parse_network("192.168.7.7")});
    BOOST_TEST(!policy.refusal("10.1.200.3").has_value());
    BOOST_TEST(policy.refusal("10.2.0.1").has_value());
    BOOST_TEST(!policy.refusal("fd12::1").has_value());
    BOOST_TEST(!policy.refusal("192.168.7.7").has_value());
    BOOST_TEST(policy.refusal("192.168.7.8").has_value());
    BOOST_TEST(!policy.refusal("::ffff:10.1.0.9").has_value());  // the mapped form of an allowed IPv4 address
}

BOOST_AUTO_TEST_CASE(networks_parse_strictly_and_print_as_their_first_address) {
    BOOST_TEST(parse_network("10.1.2.3/16")->text() == "10.1.0.0/16");
    BOOST_TEST(parse_network("fd00::1/8")->text() == "fd00::/8");
    BOOST_TEST(parse_network("192.0.2.1")->text() == "192.0.2.1/32");
    for (const char *bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/8x", "example.com/8", "", "/8"})
        BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!parse_network(bad).has_value()); }
}

BOOST_AUTO_TEST_CASE(the_gateway_allows_the_networks_of_its_own_addresses) {
    // 127.0.0.1 is on lo, whose network is 127.0.0.0/8 on every Linux machine.
    AddressPolicy policy = gateway_policy({}, {"127.0.0.1"});
    BOOST_TEST(!policy.refusal("127.0.0.2").has_value());
    BOOST_TEST(policy.refusal("10.0.0.1").has_value());
    // An address no interface holds (an outbound proxy elsewhere) allows itself alone.
    AddressPolicy proxy = gateway_policy({"172.20.0.0/24"}, {"10.99.98.97"});
    BOOST_TEST(!proxy.refusal("10.99.98.97").has_value());
    BOOST_TEST(proxy.refusal("10.99.98.96").has_value());
    BOOST_TEST(!proxy.refusal("172.20.0.9").has_value());
    BOOST_TEST(proxy.refusal("127.0.0.1").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
