// What RFC 3711 asks an SRTP context to keep for RTP, per SSRC: the rollover counter, the
// highest sequence number and a 64-packet window of the indexes used (3.2.1, 3.3.1,
// 3.3.2). SrtpGcm and SrtpAesCm keep one per direction. place() reads a packet against it
// without changing it; commit() records a packet only once its tag has passed (or it is
// sealed), so a forged or damaged packet moves nothing: libre 1.1.0's receiver moves its
// state before the tag check, and one forged packet can so stop a stream.
#pragma once

#include "media/replay_window.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sylk::media {

// The length of an RTP header (fixed part, CSRCs, extension) at the start of `packet`, or
// 0 when it is not a version-2 RTP header that fits in `size` bytes.
std::size_t srtp_header_size(const std::uint8_t *packet, std::size_t size);

class SrtpStreams {
public:
    // Streams (SSRCs) one direction keeps; a packet of one more is refused.
    static constexpr std::size_t kMaxStreams = 64;

    struct Place {
        enum class Fit {
            fresh,        // not used, inside or ahead of the window: may be sealed or opened
            used,         // used already, or behind the window
            unplaceable,  // before the stream's first rollover counter, or one stream too many
        };
        Fit fit;
        std::uint32_t ssrc;
        std::uint64_t index;  // rollover counter << 16 | sequence number
    };

    // Where the RTP header's packet belongs in its SSRC's stream (a new SSRC starts at
    // rollover counter 0).
    Place place(const std::uint8_t *header) const;
    // Records a fresh place as used (and its stream, when new).
    void commit(const Place &place);

private:
    struct Stream {
        std::uint32_t ssrc;
        ReplayWindow window;
    };
    const Stream *find(std::uint32_t ssrc) const;

    std::vector<Stream> streams_;
};

}  // namespace sylk::media
