// The reception report blocks (RFC 3550 6.4) of the sender and receiver reports in a
// compound RTCP packet: what a peer says about a stream it receives. Reads outside
// input: every length is checked against the bytes there are, and a packet that does
// not fit ends the walk (the blocks before it are kept). No I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sylk::media {

struct ReceptionReport {
    std::uint32_t ssrc = 0;            // the stream reported on
    std::uint8_t fraction_lost = 0;    // since the sender's previous report, in 256ths
    std::int32_t cumulative_lost = 0;  // since the stream began (24 bits, signed)
    std::uint32_t highest_sequence = 0;  // extended
    std::uint32_t jitter = 0;          // in the stream's timestamp units
};

// At most 31 blocks per report (5 bits), and as many reports as fit in `size`.
std::vector<ReceptionReport> reception_reports(const std::uint8_t *data, std::size_t size);

}  // namespace sylk::media
