#include "media/srtp_rtp.hpp"

#include <re.h>

namespace sylk::media {

std::optional<SrtpRtp::Located> SrtpRtp::to_seal(struct mbuf *packet, std::size_t tag_size) {
    std::size_t header = srtp_header_size(mbuf_buf(packet), mbuf_get_left(packet));
    if (header == 0) return std::nullopt;
    auto place = streams_.place(mbuf_buf(packet));
    if (place.fit == SrtpStreams::Place::Fit::unplaceable) return std::nullopt;
    // A phone that starts its sequence again under the same SSRC lands here until it
    // passes its old highest number: those packets are dropped, never sealed again.
    if (place.fit == SrtpStreams::Place::Fit::used) {
        ++refused_used_index_;
        return std::nullopt;
    }
    if (packet->size < packet->end + tag_size && mbuf_resize(packet, packet->end + tag_size) != 0) return std::nullopt;
    return Located{header, place};
}

std::optional<SrtpRtp::Located> SrtpRtp::to_open(const struct mbuf *packet, std::size_t tag_size) const {
    std::size_t size = mbuf_get_left(packet);
    if (size < 12 + tag_size) return std::nullopt;
    std::size_t header = srtp_header_size(mbuf_buf(packet), size - tag_size);
    if (header == 0) return std::nullopt;
    auto place = streams_.place(mbuf_buf(packet));
    if (place.fit != SrtpStreams::Place::Fit::fresh) return std::nullopt;  // a replay, too old, or no room
    return Located{header, place};
}

}  // namespace sylk::media
