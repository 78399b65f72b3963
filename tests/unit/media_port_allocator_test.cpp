// The RTP port range: even ports handed out in pairs, never twice at once, released
// whole by a reservation's first port, drawn at random but not a pair just released,
// safe across threads, and never a pair that another socket holds.
#include "media/rtp_port_allocator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

using sylk::media::RtpPortAllocator;

namespace {
// Every port free: these cases are about the bookkeeping, not the machine's sockets.
const RtpPortAllocator::PortProbe all_free = [](std::uint16_t) { return true; };
}  // namespace

BOOST_AUTO_TEST_SUITE(media_port_allocator)

BOOST_AUTO_TEST_CASE(even_ports_in_whole_pairs) {
    RtpPortAllocator ports(50001, 50010, all_free);  // 50002..50009: four pairs; 50010 has no odd partner
    BOOST_TEST(ports.total_pairs() == 4u);
    auto held = ports.reserve(4);
    BOOST_TEST_REQUIRE(held.has_value());
    BOOST_TEST((std::set<std::uint16_t>(held->begin(), held->end()) == std::set<std::uint16_t>{50002, 50004, 50006, 50008}));
    BOOST_TEST(held->size() == 4u);
    BOOST_TEST(!ports.reserve(1).has_value());  // exhausted
    BOOST_TEST(ports.free_pairs() == 0u);
}

BOOST_AUTO_TEST_CASE(release_frees_each_held_pair_once) {
    RtpPortAllocator ports(40000, 40007, all_free);
    auto a = ports.reserve(2);
    auto b = ports.reserve(2);
    BOOST_TEST_REQUIRE((a && b));
    BOOST_TEST(!ports.reserve(1).has_value());
    ports.release({a->front()});  // one pair of a reservation (a line's)
    BOOST_TEST(ports.free_pairs() == 1u);
    ports.release(*a);  // the rest; the pair freed already is not freed twice
    BOOST_TEST(ports.free_pairs() == 2u);
    ports.release(*a);  // twice: nothing more
    BOOST_TEST(ports.free_pairs() == 2u);
    ports.release({40001, 40003});  // odd ports, never held: nothing
    BOOST_TEST(ports.free_pairs() == 2u);
    auto c = ports.reserve(2);
    BOOST_TEST_REQUIRE(c.has_value());
    BOOST_TEST((std::set<std::uint16_t>(c->begin(), c->end()) == std::set<std::uint16_t>(a->begin(), a->end())));
}

BOOST_AUTO_TEST_CASE(ports_are_reused_as_late_as_possible) {
    RtpPortAllocator ports(40000, 40011, all_free);  // twelve ports, six pairs
    for (int round = 0; round < 50; ++round) {  // the draw is random: many times
        auto a = ports.reserve(1);
        ports.release(*a);
        auto b = ports.reserve(1);
        BOOST_TEST(b->front() != a->front());  // not the same pair again at once
        ports.release(*b);
    }
}

BOOST_AUTO_TEST_CASE(a_released_pair_waits_behind_half_of_the_free_ones) {
    RtpPortAllocator ports(40000, 40019, all_free);  // ten pairs
    for (int round = 0; round < 20; ++round) {
        auto a = ports.reserve(1);
        BOOST_TEST_REQUIRE(a.has_value());
        ports.release(*a);
        std::vector<std::vector<std::uint16_t>> next;
        for (int i = 0; i < 5; ++i) {
            next.push_back(*ports.reserve(1));
            BOOST_TEST(next.back().front() != a->front());
        }
        for (const auto &held : next) ports.release(held);
    }
}

BOOST_AUTO_TEST_CASE(pairs_are_drawn_at_random) {
    // Sequential pairs let anyone guess a new call's ports (security-review.md F5).
    RtpPortAllocator one(20000, 29999, all_free), other(20000, 29999, all_free);  // 5,000 pairs
    std::vector<std::uint16_t> first, second;
    for (int i = 0; i < 10; ++i) {
        first.push_back(one.reserve(1)->front());
        second.push_back(other.reserve(1)->front());
    }
    BOOST_TEST(first != second);  // equal by chance: about 1 in 2,500^10
    std::size_t steps_of_one_pair = 0;
    for (std::size_t i = 1; i < first.size(); ++i) steps_of_one_pair += first[i] == first[i - 1] + 2;
    BOOST_TEST(steps_of_one_pair < 3u);
    std::vector<std::uint16_t> many = *one.reserve(20);  // one reservation of several: scattered too
    BOOST_TEST(!std::is_sorted(many.begin(), many.end()));
}

BOOST_AUTO_TEST_CASE(zero_or_too_many_is_refused) {
    RtpPortAllocator ports(40000, 40003, all_free);
    BOOST_TEST(!ports.reserve(0).has_value());
    BOOST_TEST(!ports.reserve(3).has_value());
    BOOST_TEST(ports.free_pairs() == 2u);
}

BOOST_AUTO_TEST_CASE(threads_never_get_the_same_port) {
    RtpPortAllocator ports(20000, 29999, all_free);  // 5,000 pairs
    std::vector<std::vector<std::uint16_t>> got(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 1000; ++i) {
                auto held = ports.reserve(1);
                if (held) got[t].push_back(held->front());
                if (i % 2) ports.release({got[t].back()}), got[t].pop_back();
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

BOOST_AUTO_TEST_CASE(pairs_the_probe_finds_taken_are_skipped) {
    std::set<std::uint16_t> taken{40002, 40005};  // one port of the second pair, one of the third
    RtpPortAllocator ports(40000, 40009, [&](std::uint16_t port) { return taken.count(port) == 0; });
    auto held = ports.reserve(3);
    BOOST_TEST_REQUIRE(held.has_value());
    BOOST_TEST((std::set<std::uint16_t>(held->begin(), held->end()) == std::set<std::uint16_t>{40000, 40006, 40008}));
    BOOST_TEST(ports.skipped_pairs() == 2u);
    BOOST_TEST(!ports.reserve(1).has_value());  // two pairs are free, but neither can be bound
    BOOST_TEST(ports.free_pairs() == 2u);       // and a refused reservation holds nothing
    taken.clear();
    auto later = ports.reserve(2);  // freed by their other owner: handed out again
    BOOST_TEST_REQUIRE(later.has_value());
    BOOST_TEST((std::set<std::uint16_t>(later->begin(), later->end()) == std::set<std::uint16_t>{40002, 40004}));
}

BOOST_AUTO_TEST_CASE(a_port_bound_by_another_socket_is_not_handed_out) {
    // A real socket on the first port of a range, the way another program's would be.
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    BOOST_TEST_REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    BOOST_TEST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&address), length) == 0);  // any free port
    BOOST_TEST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0);
    std::uint16_t bound = ntohs(address.sin_port);
    std::uint16_t pair = static_cast<std::uint16_t>(bound - bound % 2);
    RtpPortAllocator ports(pair, static_cast<std::uint16_t>(pair + 3), "127.0.0.1");  // that pair and the next
    auto held = ports.reserve(1);
    ::close(fd);
    BOOST_TEST_REQUIRE(held.has_value());
    BOOST_TEST(held->front() == pair + 2);
    BOOST_TEST(ports.skipped_pairs() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
