#include "media/telephone_event.hpp"

namespace sylk::media {

std::optional<TelephoneEvent> read_telephone_event(const std::uint8_t *packet, std::size_t length) {
    if (length < 12 || (packet[0] >> 6) != 2) return std::nullopt;
    // The payload starts after the CSRCs and any header extension (RFC 3550 5.1, 5.3.1).
    std::size_t offset = 12 + 4u * (packet[0] & 0x0f);
    if (packet[0] & 0x10) {
        if (length < offset + 4) return std::nullopt;
        offset += 4 + 4u * ((packet[offset + 2] << 8) | packet[offset + 3]);
    }
    if (length < offset + 4) return std::nullopt;
    static const char digits[] = "0123456789*#ABCD";
    std::uint8_t event = packet[offset];
    if (event >= 16) return std::nullopt;
    TelephoneEvent read;
    read.digit = digits[event];
    read.end = (packet[offset + 1] & 0x80) != 0;
    read.duration = static_cast<std::uint16_t>((packet[offset + 2] << 8) | packet[offset + 3]);
    read.timestamp = (std::uint32_t(packet[4]) << 24) | (std::uint32_t(packet[5]) << 16) |
                     (std::uint32_t(packet[6]) << 8) | packet[7];
    return read;
}

}  // namespace sylk::media
