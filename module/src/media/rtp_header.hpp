// What the relay reads and rewrites in an RTP or RTCP header, in place in a libre mbuf
// (pos at the header). No checks: callers have made sure of the length (12 bytes for
// RTP, 8 for RTCP), as the transports do before handing a packet over.
#pragma once

#include <cstddef>
#include <cstdint>

#include <re.h>

namespace sylk::media {

inline std::uint32_t read_u32(const struct mbuf *packet, std::size_t offset) {
    const std::uint8_t *p = packet->buf + packet->pos + offset;
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

inline std::uint8_t rtp_payload_type(const struct mbuf *packet) { return packet->buf[packet->pos + 1] & 0x7f; }

// The marker bit stays; only the 7 bits of the type change.
inline void set_payload_type(struct mbuf *packet, std::uint8_t type) {
    std::uint8_t &byte = packet->buf[packet->pos + 1];
    byte = static_cast<std::uint8_t>((byte & 0x80) | (type & 0x7f));
}

inline std::uint32_t rtp_ssrc(const struct mbuf *packet) { return read_u32(packet, 8); }
inline std::uint32_t rtcp_sender_ssrc(const struct mbuf *packet) { return read_u32(packet, 4); }

// RFC 5761 4: with rtcp-mux, RTCP packet types 192-223 sit where RTP has marker+type 64-95.
inline bool is_rtcp(const struct mbuf *packet) {
    std::uint8_t type = packet->buf[packet->pos + 1];
    return type >= 192 && type <= 223;
}

}  // namespace sylk::media
