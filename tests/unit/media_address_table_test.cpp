// The browser port's address table: each address finds what it was routed to and nothing
// else (IPv4 and IPv6, same port or same address), a replaced route replaces, and erasing
// (one address, or every address of a client) keeps every other route findable however
// the probe runs were laid out: checked against std::map over thousands of random steps.
#include "media/address_table.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <string>
#include <utility>

using sylk::media::AddressTable;

namespace {
struct Client {
    int id;
};

struct sa address(const std::string &ip, std::uint16_t port) {
    struct sa result {};
    BOOST_TEST_REQUIRE(sa_set_str(&result, ip.c_str(), port) == 0);
    return result;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(media_address_table)

BOOST_AUTO_TEST_CASE(finds_only_what_was_routed) {
    AddressTable<Client> table;
    Client a{1}, b{2};
    BOOST_TEST(table.find(address("127.0.0.1", 5000)) == nullptr);  // empty: no slots yet
    table.set(address("127.0.0.1", 5000), &a);
    table.set(address("::1", 5000), &b);
    BOOST_TEST(table.find(address("127.0.0.1", 5000)) == &a);
    BOOST_TEST(table.find(address("::1", 5000)) == &b);
    BOOST_TEST(table.find(address("127.0.0.1", 5001)) == nullptr);   // same address, other port
    BOOST_TEST(table.find(address("127.0.0.2", 5000)) == nullptr);   // same port, other address
    BOOST_TEST(table.find(address("2001:db8::7f00:1", 5000)) == nullptr);  // IPv6 ending as 127.0.0.1 is not it
    table.set(address("127.0.0.1", 5000), &b);  // a browser's port reused by a later call
    BOOST_TEST(table.find(address("127.0.0.1", 5000)) == &b);
    BOOST_TEST(table.size() == 2u);
    BOOST_TEST(table.erase(address("127.0.0.1", 5000)));
    BOOST_TEST(!table.erase(address("127.0.0.1", 5000)));
    BOOST_TEST(table.find(address("127.0.0.1", 5000)) == nullptr);
    BOOST_TEST(table.find(address("::1", 5000)) == &b);
}

BOOST_AUTO_TEST_CASE(erasing_a_client_leaves_the_others) {
    AddressTable<Client> table;
    Client clients[3] = {{0}, {1}, {2}};
    for (std::uint16_t port = 1000; port < 4000; ++port) table.set(address("10.0.0.1", port), &clients[port % 3]);
    BOOST_TEST(table.erase_value(&clients[1]) == 1000u);
    BOOST_TEST(table.size() == 2000u);
    for (std::uint16_t port = 1000; port < 4000; ++port)
        BOOST_TEST((table.find(address("10.0.0.1", port)) == (port % 3 == 1 ? nullptr : &clients[port % 3])));
}

BOOST_AUTO_TEST_CASE(agrees_with_a_map_over_random_steps) {
    AddressTable<Client> table;
    std::map<std::pair<int, std::uint16_t>, Client *> model;  // (host, port) -> client
    Client clients[8];
    for (int i = 0; i < 8; ++i) clients[i].id = i;
    std::mt19937 random(20261202);
    // Few hosts and ports, so that routes collide, runs grow long and erases move entries.
    auto pick = [&] { return std::make_pair(int(random() % 40), std::uint16_t(1 + random() % 60)); };
    auto as_address = [](std::pair<int, std::uint16_t> where) {
        return address(where.first % 2 ? "2001:db8::" + std::to_string(where.first) : "192.0.2." + std::to_string(where.first),
                       where.second);
    };
    for (int step = 0; step < 20000; ++step) {
        auto where = pick();
        switch (random() % 4) {
        case 0:
        case 1: {
            Client *client = &clients[random() % 8];
            table.set(as_address(where), client);
            model[where] = client;
            break;
        }
        case 2:
            BOOST_TEST_REQUIRE(table.erase(as_address(where)) == (model.erase(where) == 1));
            break;
        default: {
            if (random() % 50) break;  // now and then: a whole client goes
            Client *gone = &clients[random() % 8];
            std::size_t expected = 0;
            for (auto it = model.begin(); it != model.end();)
                it = it->second == gone ? (++expected, model.erase(it)) : std::next(it);
            BOOST_TEST_REQUIRE(table.erase_value(gone) == expected);
        }
        }
        BOOST_TEST_REQUIRE(table.size() == model.size());
        if (step % 500 == 0) {  // every route the model knows, and none it does not
            for (int host = 0; host < 40; ++host)
                for (std::uint16_t port = 1; port <= 60; ++port) {
                    auto known = model.find({host, port});
                    BOOST_TEST_REQUIRE(table.find(as_address({host, port})) ==
                                       (known == model.end() ? nullptr : known->second));
                }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
