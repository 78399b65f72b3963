// The Prometheus text exposition (version 0.0.4) that /metrics serves: the gateway's
// counters and gauges, named sylk_webrtcgateway_*. Per-call figures never become labels
// (a label per call would grow the series without bound); they go to the hang-up log line.
#pragma once

#include "gateway/counters.hpp"

#include <cstddef>
#include <string>

namespace sylk::app {

// What the media side contributes, read from its atomics at the moment of the scrape.
struct MediaGauges {
    std::size_t rtp_port_pairs_free = 0;
    std::size_t rtp_port_pairs_total = 0;
};

std::string prometheus_text(const gateway::Counters &counters, const MediaGauges &media);

}  // namespace sylk::app
