// A session's dropped packets by reason, summed over a worker's sessions and written as
// "reason=count" pairs (only those not zero). The names are the counters' own, so that
// a log line and a metric say the same thing.
#pragma once

#include "media/browser_transport.hpp"
#include "media/phone_transport.hpp"

#include <cstdint>
#include <string>

namespace sylk::media {

struct SessionDrops {
    BrowserTransport::Drops browser;
    PhoneTransport::Drops phone;  // all lines
};

void add(SessionDrops &total, const SessionDrops &more);
// "srtcp_replayed=3 phone_rtp_stranger=1", or "none".
std::string describe(const SessionDrops &drops);

}  // namespace sylk::media
