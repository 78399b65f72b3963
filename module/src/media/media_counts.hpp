// What media relayed and dropped, as /metrics shows it: a worker sums its sessions'
// counts on its own thread and publishes the sums, which any thread may then read.
//
// Why published sums and not atomics on the packet path: a session's counters are plain
// fields of objects the packet touches anyway. The worker's timeout tick, which already
// visits a tenth of its sessions every 25 ms, adds what each visited session counted
// since its last visit to the worker's sums (and a session's last counts when it goes),
// then stores the sums with relaxed atomics: a few dozen stores per tick, nothing per
// packet. A live session's counts reach /metrics at most 250 ms late.
#pragma once

#include "media/drop_report.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sylk::media {

// Packets relayed, by direction and kind.
struct RelayedPackets {
    std::uint64_t browser_to_phone_rtp = 0;
    std::uint64_t browser_to_phone_rtcp = 0;
    std::uint64_t phone_to_browser_rtp = 0;
    std::uint64_t phone_to_browser_rtcp = 0;
};

struct MediaCounts {
    RelayedPackets relayed;
    SessionDrops dropped;
};

void add(MediaCounts &total, const MediaCounts &more);
// What `now` counted beyond `before` (both of one session: every count only grows).
MediaCounts difference(const MediaCounts &now, const MediaCounts &before);

// One worker's sums: written by its thread only, read by any.
class PublishedMediaCounts {
public:
    void publish(const MediaCounts &counts);
    MediaCounts read() const;

private:
    static constexpr std::size_t kRelayed = 4;
    std::array<std::atomic<std::uint64_t>, kRelayed + kDropReasons> values_{};
};

}  // namespace sylk::media
