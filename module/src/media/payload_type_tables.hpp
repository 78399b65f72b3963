// The relay's payload type renumbering as tables read once per packet, rebuilt with
// each spec: walking each line's pairs took two heap hops and a loop, a cache miss or
// more per packet with 1,000 sessions (perf: most of phone_rtp's time). Plain values,
// no I/O, so the per-packet logic can be fuzzed (fuzz/rtp_relay).
#pragma once

#include "media/media_engine.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sylk::media {

class PayloadTypeTables {
public:
    static constexpr std::uint8_t kNone = 0xff;
    struct ToPhone {
        std::uint8_t line = kNone;  // which line a browser payload type belongs to
        std::uint8_t type = 0;      // its number on the phone side
    };

    // Where a type appears twice, the first line and the first pair win, as a walk in
    // order would have found them. Types are 7 bits; a line past the 254th is not reached.
    void build(const std::vector<BridgedLine> &lines);

    // By the browser's payload type (7 bits; the marker bit is ignored).
    ToPhone to_phone(std::uint8_t browser_type) const { return to_phone_[browser_type & 0x7f]; }
    // The browser's number for a phone line's type, kNone when the line has no such type.
    std::uint8_t to_browser(std::size_t line, std::uint8_t phone_type) const {
        return line < phone_lines_.size() ? phone_lines_[line].to_browser[phone_type & 0x7f] : kNone;
    }
    // A phone line's RFC 4733 telephone-event type (and its clock), kNone when it has none.
    std::uint8_t phone_event_type(std::size_t line) const {
        return line < phone_lines_.size() ? phone_lines_[line].event_type : kNone;
    }
    std::uint32_t phone_event_clock(std::size_t line) const {
        return line < phone_lines_.size() ? phone_lines_[line].event_clock : 0;
    }

private:
    std::array<ToPhone, 128> to_phone_{};
    // By line: its event type next to the low payload types' entries, so that a packet's
    // two lookups touch one cache line (a second allocation was a miss per packet).
    struct PhoneLine {
        std::uint8_t event_type = kNone;
        std::uint32_t event_clock = 0;
        std::array<std::uint8_t, 128> to_browser{};  // by the phone's type
    };
    std::vector<PhoneLine> phone_lines_;
};

}  // namespace sylk::media
