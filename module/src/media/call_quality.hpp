// One call's media quality, for the one log line at hang-up (never metric labels: a
// label per call would grow the series without bound). Per bridged line and direction:
// RTP packets received and sent on, loss and jitter as our side receives them
// (rtp_reception.hpp), and the receiving peer's latest RTCP report on that stream (the
// phone's on what the browser sends, the browser's on what the phone sends), matched by
// SSRC: the relay rewrites no SSRCs. Lives on the session's media worker thread.
#pragma once

#include "media/media_engine.hpp"
#include "media/rtcp_reports.hpp"
#include "media/rtp_reception.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sylk::media {

class CallQuality {
public:
    explicit CallQuality(std::uint64_t started_us) : started_us_(started_us) {}

    // The session's lines (their kinds and payload types' clock rates); counts so far stay.
    void set_lines(const std::vector<BridgedLine> &lines);

    // An RTP packet (at least 12 bytes: its header) that came for `line`, under its
    // sender's payload type number; and one sent on.
    void from_browser(std::size_t line, const std::uint8_t *rtp, std::uint64_t arrival_us);
    void from_phone(std::size_t line, const std::uint8_t *rtp, std::uint64_t arrival_us);
    void sent_to_phone(std::size_t line);
    void sent_to_browser(std::size_t line);
    // A compound RTCP packet (plain, or the browser's after SRTCP decryption).
    void phone_rtcp(const std::uint8_t *rtcp, std::size_t size);
    void browser_rtcp(const std::uint8_t *rtcp, std::size_t size);

    // {"session":..,"duration_ms":..,"lines":[{"line":0,"kind":"audio","browser_to_phone":{..},"phone_to_browser":{..}}]}
    std::string json(MediaSessionId id, std::uint64_t now_us) const;

private:
    struct Direction {
        std::uint64_t received = 0;
        std::uint64_t sent = 0;
        RtpReception reception;
        std::uint8_t payload_type = 0xff;  // the last packet's, with its clock rate
        std::uint32_t clock_rate = 0;
        std::optional<ReceptionReport> peer_report;  // the latest on the current SSRC
    };
    struct Line {
        std::string kind;
        std::vector<PayloadTypePair> payload_types;
        Direction browser_to_phone;
        Direction phone_to_browser;
    };

    void received(Direction &direction, const std::uint8_t *rtp, std::uint32_t clock_rate, std::uint64_t arrival_us);
    static void take_reports(std::vector<Line> &lines, Direction Line::*direction, const std::uint8_t *rtcp,
                             std::size_t size);

    std::uint64_t started_us_;
    std::vector<Line> lines_;
};

}  // namespace sylk::media
