// The RTP port range: even ports handed out in pairs, never twice at once, released
// whole by a reservation's first port, reused as late as possible, safe across threads.
#include "media/rtp_port_allocator.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>
#include <vector>

using sylk::media::RtpPortAllocator;

BOOST_AUTO_TEST_SUITE(media_port_allocator)

BOOST_AUTO_TEST_CASE(even_ports_in_whole_pairs) {
    RtpPortAllocator ports(50001, 50010);  // 50002..50009: four pairs; 50010 has no odd partner
    BOOST_TEST(ports.total_pairs() == 4u);
    auto held = ports.reserve(4);
    BOOST_TEST_REQUIRE(held.has_value());
    BOOST_TEST((*held == std::vector<std::uint16_t>{50002, 50004, 50006, 50008}));
    BOOST_TEST(!ports.reserve(1).has_value());  // exhausted
    BOOST_TEST(ports.free_pairs() == 0u);
}

BOOST_AUTO_TEST_CASE(release_frees_the_whole_reservation_once) {
    RtpPortAllocator ports(40000, 40007);
    auto a = ports.reserve(2);
    auto b = ports.reserve(2);
    BOOST_TEST_REQUIRE((a && b));
    BOOST_TEST(!ports.reserve(1).has_value());
    ports.release(a->front());
    BOOST_TEST(ports.free_pairs() == 2u);
    ports.release(a->front());  // twice: nothing more
    BOOST_TEST(ports.free_pairs() == 2u);
    ports.release(a->back());  // not a reservation's first port: nothing
    BOOST_TEST(ports.free_pairs() == 2u);
    auto c = ports.reserve(2);
    BOOST_TEST_REQUIRE(c.has_value());
    BOOST_TEST((std::set<std::uint16_t>(c->begin(), c->end()) == std::set<std::uint16_t>(a->begin(), a->end())));
}

BOOST_AUTO_TEST_CASE(ports_are_reused_as_late_as_possible) {
    RtpPortAllocator ports(40000, 40011);  // six ports, three pairs
    auto a = ports.reserve(1);
    ports.release(a->front());
    auto b = ports.reserve(1);
    BOOST_TEST(b->front() == 40002);  // not 40000 again at once
}

BOOST_AUTO_TEST_CASE(zero_or_too_many_is_refused) {
    RtpPortAllocator ports(40000, 40003);
    BOOST_TEST(!ports.reserve(0).has_value());
    BOOST_TEST(!ports.reserve(3).has_value());
    BOOST_TEST(ports.free_pairs() == 2u);
}

BOOST_AUTO_TEST_CASE(threads_never_get_the_same_port) {
    RtpPortAllocator ports(20000, 29999);  // 5,000 pairs
    std::vector<std::vector<std::uint16_t>> got(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 1000; ++i) {
                auto held = ports.reserve(1);
                if (held) got[t].push_back(held->front());
                if (i % 2) ports.release(got[t].back()), got[t].pop_back();
            }
        });
    for (auto &thread : threads) thread.join();
    std::set<std::uint16_t> all;
    std::size_t count = 0;
    for (auto &list : got) {
        all.insert(list.begin(), list.end());
        count += list.size();
    }
    BOOST_TEST(all.size() == count);
    BOOST_TEST(count == 2000u);
    BOOST_TEST(ports.free_pairs() == 5000u - 2000u);
}

BOOST_AUTO_TEST_SUITE_END()
