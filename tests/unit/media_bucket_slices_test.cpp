// The media worker's timeout checks are spread over ticks by visit_bucket_slice: over one
// cycle of slices every session is visited exactly once, at the scale of thousands of
// sessions and with a map too small to have a bucket per slice; sessions added during a
// cycle (a rehash) are still visited within the next full cycle.
#include "media/bucket_slices.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <map>
#include <unordered_map>

using sylk::media::visit_bucket_slice;

namespace {

// How often each key was visited over `cycles` full cycles of `slices` slices.
std::map<int, int> visits_over(std::unordered_map<int, int> &sessions, std::size_t slices, int cycles) {
    std::map<int, int> visits;
    for (int cycle = 0; cycle < cycles; ++cycle)
        for (std::size_t slice = 0; slice < slices; ++slice)
            visit_bucket_slice(sessions, slice, slices, [&](auto &entry) { ++visits[entry.first]; });
    return visits;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(media_bucket_slices)

BOOST_AUTO_TEST_CASE(one_cycle_visits_every_session_once) {
    for (int count : {0, 1, 3, 10, 11, 997, 5000}) {
        std::unordered_map<int, int> sessions;
        for (int id = 0; id < count; ++id) sessions[id * 7 + 1] = id;
        std::map<int, int> visits = visits_over(sessions, 10, 1);
        BOOST_TEST_CONTEXT(count << " sessions, " << sessions.bucket_count() << " buckets") {
            BOOST_TEST(visits.size() == static_cast<std::size_t>(count));
            for (auto &[id, times] : visits) BOOST_TEST(times == 1, "session " << id << " visited " << times << " times");
        }
    }
}

BOOST_AUTO_TEST_CASE(sessions_added_mid_cycle_are_visited_by_the_end_of_the_next_cycle) {
    std::unordered_map<int, int> sessions;
    for (int id = 0; id < 100; ++id) sessions[id] = id;
    std::map<int, int> visits;
    auto count = [&](auto &entry) { ++visits[entry.first]; };
    // Half a cycle, then enough new sessions for the map to rehash.
    for (std::size_t slice = 0; slice < 5; ++slice) visit_bucket_slice(sessions, slice, 10, count);
    std::size_t buckets_before = sessions.bucket_count();
    for (int id = 100; id < 3000; ++id) sessions[id] = id;
    BOOST_TEST_REQUIRE(sessions.bucket_count() != buckets_before);
    for (std::size_t slice = 5; slice < 10; ++slice) visit_bucket_slice(sessions, slice, 10, count);
    for (std::size_t slice = 0; slice < 10; ++slice) visit_bucket_slice(sessions, slice, 10, count);
    for (int id = 0; id < 3000; ++id) BOOST_TEST(visits[id] >= 1, "session " << id << " never visited");
}

BOOST_AUTO_TEST_SUITE_END()
