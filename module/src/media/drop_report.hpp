// A session's dropped packets by reason, summed over a worker's sessions and written as
// "reason=count" pairs (only those not zero). The names are the counters' own, so that
// a log line and a metric say the same thing.
#pragma once

#include "media/browser_transport.hpp"
#include "media/phone_transport.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace sylk::media {

struct SessionDrops {
    BrowserTransport::Drops browser;
    PhoneTransport::Drops phone;  // all lines
    std::uint64_t unknown_payload_type = 0;  // RTP either way whose payload type no pair names
};

// Every reason, in a fixed order: kDropReasons of them, each with its name and count.
constexpr std::size_t kDropReasons = 17;
const char *drop_reason_name(std::size_t reason);
std::uint64_t &drop_count(SessionDrops &drops, std::size_t reason);
std::uint64_t drop_count(const SessionDrops &drops, std::size_t reason);

void add(SessionDrops &total, const SessionDrops &more);
// "srtcp_replayed=3 phone_rtp_stranger=1", or "none".
std::string describe(const SessionDrops &drops);

}  // namespace sylk::media
