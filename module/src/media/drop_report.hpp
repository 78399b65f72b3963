// A session's dropped packets by reason, summed over a worker's sessions and written as
// "reason=count" pairs (only those not zero). The names are the counters' own, so that
// a log line and a metric say the same thing.
#pragma once

#include "media/browser_transport.hpp"

#include <cstdint>
#include <string>

namespace sylk::media {

struct SessionDrops {
    BrowserTransport::Drops browser;
};

void add(SessionDrops &total, const SessionDrops &more);
// "srtcp_replayed=3 srtcp_not_encrypted=1", or "none".
std::string describe(const SessionDrops &drops);

}  // namespace sylk::media
