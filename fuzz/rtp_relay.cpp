// The relay's per-packet logic, without its sockets (MediaSession's transports own
// those): media::PayloadTypeTables built from fuzzed lines of payload type pairs, and
// packets through the header helpers of media/rtp_header.hpp as MediaSession and
// BrowserTransport use them (RTCP told from RTP by RFC 5761, the type looked up and
// rewritten in place). Input: a line count (1-4), per line a pair count (0-15) and its
// pairs (browser, phone; 7 bits each, the browser byte's top bit marking a telephone-event
// pair), then packets as [length][side/line byte][bytes].
// Properties: both tables answer as the walk in order they replaced (first line,
// first pair wins); a rewrite changes the 7 type bits and nothing else; a phone packet of
// the line's telephone-event type reads as a digit of 0-9 * # A-D, or as none.
#include "check.hpp"

#include "media/payload_type_tables.hpp"
#include "media/rtp_header.hpp"
#include "media/telephone_event.hpp"

#include <re.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace sylk::media;

namespace {

struct Reader {
    const std::uint8_t *data;
    std::size_t size;
    std::size_t at = 0;
    bool has(std::size_t count) const { return size - at >= count; }
    std::uint8_t byte() { return has(1) ? data[at++] : 0; }
};

// The lookups as MediaSession did them before the tables: a walk over every pair.
PayloadTypeTables::ToPhone walk_to_phone(const std::vector<BridgedLine> &lines, std::uint8_t type) {
    for (std::size_t line = 0; line < lines.size() && line < PayloadTypeTables::kNone; ++line)
        for (const auto &pair : lines[line].payload_types)
            if (pair.browser == type) return {static_cast<std::uint8_t>(line), pair.phone};
    return {};
}

std::uint8_t walk_to_browser(const std::vector<BridgedLine> &lines, std::size_t line, std::uint8_t type) {
    if (line >= lines.size() || line >= PayloadTypeTables::kNone) return PayloadTypeTables::kNone;
    for (const auto &pair : lines[line].payload_types)
        if (pair.phone == type) return pair.browser;
    return PayloadTypeTables::kNone;
}

// Rewrites `packet` (a copy in an mbuf of exactly its size) to `type` and checks that
// only the type bits changed.
void check_rewrite(const std::uint8_t *bytes, std::size_t size, std::uint8_t type) {
    struct mbuf *packet = mbuf_alloc(size);
    if (!packet) std::abort();
    mbuf_write_mem(packet, bytes, size);
    packet->pos = 0;
    set_payload_type(packet, type);
    FUZZ_CHECK(rtp_payload_type(packet) == (type & 0x7f));
    FUZZ_CHECK((packet->buf[1] & 0x80) == (bytes[1] & 0x80));  // the marker bit
    FUZZ_CHECK(packet->buf[0] == bytes[0] && std::memcmp(packet->buf + 2, bytes + 2, size - 2) == 0);
    FUZZ_CHECK(rtp_ssrc(packet) == (std::uint32_t(bytes[8]) << 24 | std::uint32_t(bytes[9]) << 16 |
                                     std::uint32_t(bytes[10]) << 8 | bytes[11]));
    mem_deref(packet);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    Reader input{data, size};
    std::vector<BridgedLine> lines(1 + input.byte() % 4);
    for (auto &line : lines) {
        std::size_t pairs = input.byte() % 16;
        for (std::size_t i = 0; i < pairs && input.has(2); ++i) {
            // 0-127, as sdp::payload_type_number gives them (a browser type of 255 would
            // read as the tables' kNone).
            std::uint8_t browser = input.byte();
            bool event = (browser & 0x80) != 0;
            line.payload_types.push_back(
                {static_cast<std::uint8_t>(browser & 0x7f), static_cast<std::uint8_t>(input.byte() & 0x7f), 8000, event});
        }
    }
    PayloadTypeTables tables;
    tables.build(lines);
    for (unsigned type = 0; type < 256; ++type) {
        auto table = tables.to_phone(static_cast<std::uint8_t>(type));
        auto walk = walk_to_phone(lines, static_cast<std::uint8_t>(type & 0x7f));
        FUZZ_CHECK(table.line == walk.line && (walk.line == PayloadTypeTables::kNone || table.type == walk.type));
        for (std::size_t line = 0; line <= lines.size(); ++line)
            FUZZ_CHECK(tables.to_browser(line, static_cast<std::uint8_t>(type)) ==
                       walk_to_browser(lines, line, static_cast<std::uint8_t>(type & 0x7f)));
    }

    while (input.has(2)) {
        std::size_t length = input.byte();
        std::uint8_t side = input.byte();
        if (!input.has(length)) break;
        const std::uint8_t *bytes = data + input.at;
        input.at += length;
        if (length < 12) continue;  // the transports hand over nothing shorter
        struct mbuf view {};
        view.buf = const_cast<std::uint8_t *>(bytes);
        view.size = view.end = length;
        if (side & 0x80) {
            // From a phone line: renumbered to the browser's type, or counted and dropped.
            if (rtp_payload_type(&view) == tables.phone_event_type(side & 0x7f)) {
                if (auto event = read_telephone_event(bytes, length))
                    FUZZ_CHECK(std::strchr("0123456789*#ABCD", event->digit) != nullptr && event->digit != '\0');
            }
            std::uint8_t type = tables.to_browser(side & 0x7f, rtp_payload_type(&view));
            if (type != PayloadTypeTables::kNone) check_rewrite(bytes, length, type);
        } else if (!is_rtcp(&view)) {
            // From the browser: RTP goes to the line of its type.
            auto route = tables.to_phone(rtp_payload_type(&view));
            if (route.line != PayloadTypeTables::kNone) {
                FUZZ_CHECK(route.line < lines.size());
                check_rewrite(bytes, length, route.type);
            }
        } else {
            FUZZ_CHECK(rtp_payload_type(&view) >= 64 && rtp_payload_type(&view) <= 95 && (bytes[1] & 0x80));
            (void)rtcp_sender_ssrc(&view);
        }
    }
    return 0;
}
