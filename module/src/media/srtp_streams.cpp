#include "media/srtp_streams.hpp"

#include "media/rtp_index.hpp"

namespace sylk::media {

std::size_t srtp_header_size(const std::uint8_t *packet, std::size_t size) {
    if (size < 12 || (packet[0] >> 6) != 2) return 0;
    std::size_t length = 12 + 4 * std::size_t(packet[0] & 0x0f);
    if (packet[0] & 0x10) {
        if (size < length + 4) return 0;
        length += 4 + 4 * (std::size_t(packet[length + 2]) << 8 | packet[length + 3]);
    }
    return length <= size ? length : 0;
}

const SrtpStreams::Stream *SrtpStreams::find(std::uint32_t ssrc) const {
    for (const auto &stream : streams_)
        if (stream.ssrc == ssrc) return &stream;
    return nullptr;
}

SrtpStreams::Place SrtpStreams::place(const std::uint8_t *header) const {
    std::uint32_t ssrc = std::uint32_t(header[8]) << 24 | std::uint32_t(header[9]) << 16 |
                         std::uint32_t(header[10]) << 8 | header[11];
    auto sequence = static_cast<std::uint16_t>(header[2] << 8 | header[3]);
    const Stream *stream = find(ssrc);
    if (!stream) {
        if (streams_.size() >= kMaxStreams) return {Place::Fit::unplaceable, ssrc, 0};
        return {Place::Fit::fresh, ssrc, sequence};
    }
    std::int64_t index = estimate_index(stream->window.highest(), sequence);
    if (index < 0) return {Place::Fit::unplaceable, ssrc, 0};
    auto at = static_cast<std::uint64_t>(index);
    return {stream->window.fresh(at) ? Place::Fit::fresh : Place::Fit::used, ssrc, at};
}

void SrtpStreams::commit(const Place &place) {
    if (place.fit != Place::Fit::fresh) return;
    for (auto &stream : streams_) {
        if (stream.ssrc == place.ssrc) {
            stream.window.mark(place.index);
            return;
        }
    }
    streams_.push_back({place.ssrc, ReplayWindow(place.index)});
}

}  // namespace sylk::media
