// RFC 3711 3.3.1: the packet index (rollover counter << 16 | sequence number) that an RTP
// sequence number most likely has, given the highest index of its stream so far; -1 for a
// packet from before the stream's first rollover counter (or past the last).
#pragma once

#include <cstdint>

namespace sylk::media {

inline std::int64_t estimate_index(std::uint64_t highest, std::uint16_t sequence) {
    std::int64_t rollover = static_cast<std::int64_t>(highest >> 16);
    std::uint16_t highest_sequence = static_cast<std::uint16_t>(highest);
    if (highest_sequence < 32768) {
        if (sequence > highest_sequence + 32768) --rollover;
    } else if (sequence < highest_sequence - 32768) {
        ++rollover;
    }
    if (rollover < 0 || rollover > 0xffffffffLL) return -1;
    return rollover << 16 | sequence;
}

}  // namespace sylk::media
