// RFC 4733 telephone-events in a phone's RTP: which digit a packet carries and whether
// it is the digit's end. Pure (bytes in, values out), so it can be fuzzed with the relay's
// per-packet logic (fuzz/rtp_relay).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace sylk::media {

struct TelephoneEvent {
    char digit = '0';            // 0-9 * # A-D
    bool end = false;            // the E bit: the digit is over (sent three times)
    std::uint16_t duration = 0;  // in RTP timestamp units
    std::uint32_t timestamp = 0; // the event's, the same in every packet of one digit
};

// An RTP packet (header included) of the telephone-event type: the digit, or nothing when
// it is not one (events 16 and up: flash, tones) or the packet is malformed.
std::optional<TelephoneEvent> read_telephone_event(const std::uint8_t *packet, std::size_t length);

}  // namespace sylk::media
