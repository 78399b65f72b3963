// bench/delivery_gaps.hpp, the measure behind the bench's "stood still" figures: on
// packet times made up here, it finds exactly the stretches over 1 ms in which nothing
// was delivered while a packet waited (not idle stretches with nothing sent), counts
// the packets that waited across one, and gives the percentiles of every packet and the
// p99 of the others.
#include "delivery_gaps.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <map>
#include <sstream>
#include <string>

using sylk::bench::DeliveryGaps;

namespace {

constexpr std::uint64_t kUs = 1000;

std::map<std::string, std::uint64_t> fields_of(const std::string &summary) {
    std::map<std::string, std::uint64_t> fields;
    std::istringstream in(summary);
    std::string item;
    while (in >> item) {
        auto equals = item.find('=');
        BOOST_TEST_REQUIRE(equals != std::string::npos, item);
        fields[item.substr(0, equals)] = std::stoull(item.substr(equals + 1));
    }
    return fields;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bench_delivery_gaps)

BOOST_AUTO_TEST_CASE(a_stall_with_packets_waiting_is_a_gap_and_what_waited_across_it_is_held) {
    DeliveryGaps gaps;
    // A packet every 100 us, each delivered 50 us later...
    for (std::uint64_t sent = 0; sent < 100 * 100 * kUs; sent += 100 * kUs) {
        std::uint64_t delivered = sent + 50 * kUs;
        // ...but those sent from 3 ms on arrive only at 5.5 ms.
        if (sent >= 3000 * kUs && sent < 5500 * kUs) delivered = 5500 * kUs;
        gaps.add(sent, delivered);
    }
    auto fields = fields_of(gaps.summary("fwd_"));

    BOOST_TEST(fields.at("fwd_gaps") == 1u);
    // The last delivery before it was at 2.95 ms, but nothing waited until 3 ms: 3 to 5.5 ms.
    BOOST_TEST(fields.at("fwd_longest_gap_us") == 2500u);
    BOOST_TEST(fields.at("fwd_gap_ms") == 2u);
    BOOST_TEST(fields.at("fwd_held") == 25u);  // sent at 3.0 ms to 5.4 ms
    BOOST_TEST(fields.at("fwd_p99_unheld_us") == 50u);
    BOOST_TEST(fields.at("fwd_p50_us") == 50u);
    BOOST_TEST(fields.at("fwd_max_us") == 2500u);  // the first held: sent at 3 ms
}

BOOST_AUTO_TEST_CASE(a_silence_with_nothing_sent_is_no_gap) {
    DeliveryGaps gaps;
    gaps.add(0, 40 * kUs);
    gaps.add(100 * kUs, 140 * kUs);
    gaps.add(20000 * kUs, 20040 * kUs);  // 20 ms later, but nothing was waiting meanwhile
    gaps.add(20100 * kUs, 20140 * kUs);
    auto fields = fields_of(gaps.summary("back_"));

    BOOST_TEST(fields.at("back_gaps") == 0u);
    BOOST_TEST(fields.at("back_held") == 0u);
    BOOST_TEST(fields.at("back_p99_us") == 40u);
}

BOOST_AUTO_TEST_CASE(a_wait_just_under_a_millisecond_is_no_gap) {
    DeliveryGaps gaps;
    gaps.add(0, 10 * kUs);
    gaps.add(20 * kUs, 1005 * kUs);  // waited 985 us with nothing delivered since 10 us: 995 us
    auto fields = fields_of(gaps.summary(""));

    BOOST_TEST(fields.at("gaps") == 0u);
    BOOST_TEST(fields.at("max_us") == 985u);
}

BOOST_AUTO_TEST_SUITE_END()
