#include "media/send_order.hpp"

#include "media/rtp_index.hpp"

namespace sylk::media {

bool SendOrder::admit(const std::uint8_t *header, std::size_t size) {
    if (size < 12) return false;
    std::uint32_t ssrc = std::uint32_t(header[8]) << 24 | std::uint32_t(header[9]) << 16 |
                         std::uint32_t(header[10]) << 8 | header[11];
    auto sequence = static_cast<std::uint16_t>(header[2] << 8 | header[3]);
    for (auto &stream : streams_) {
        if (stream.ssrc != ssrc) continue;
        std::int64_t index = estimate_index(stream.highest, sequence);
        if (index < 0 || static_cast<std::uint64_t>(index) <= stream.highest) return false;
        stream.highest = static_cast<std::uint64_t>(index);
        return true;
    }
    if (streams_.size() >= kMaxStreams) return false;
    streams_.push_back({ssrc, sequence});  // a new stream starts at rollover 0
    return true;
}

}  // namespace sylk::media
