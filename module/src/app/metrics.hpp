// The Prometheus text exposition (version 0.0.4) that /metrics serves: the gateway's
// counters and gauges, named sylk_webrtcgateway_*. Per-call figures never become labels
// (a label per call would grow the series without bound); they go to the hang-up log line.
#pragma once

#include "stats/counters.hpp"
#include "media/media_counts.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sylk::app {

// What the media side contributes, read from its atomics at the moment of the scrape.
struct MediaGauges {
    std::size_t rtp_port_pairs_free = 0;
    std::size_t rtp_port_pairs_total = 0;
    media::RelayedPackets relayed;
    // Packets dropped: every reason the media side counts, by its name, zeros too (a
    // series that appears only once it is not zero breaks rate() over its first value).
    std::vector<std::pair<std::string, std::uint64_t>> dropped;
};

// The gauges from the engine's figures: its port pairs and its workers' summed counts.
MediaGauges media_gauges(std::size_t free_pairs, std::size_t total_pairs, const media::MediaCounts &counts);

std::string prometheus_text(const stats::Counters &counters, const MediaGauges &media);

}  // namespace sylk::app
