#include "media/call_quality.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <cstdio>

namespace sylk::media {

namespace {

std::uint16_t read_u16(const std::uint8_t *p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t read_u32(const std::uint8_t *p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

// Fixed decimals, not the shortest round trip (Boost.JSON would write 1.25E0).
std::string decimal(double value, int decimals) {
    char text[48];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

}  // namespace

void CallQuality::set_lines(const std::vector<BridgedLine> &lines) {
    if (lines_.size() < lines.size()) lines_.resize(lines.size());
    for (std::size_t line = 0; line < lines.size(); ++line) {
        lines_[line].kind = lines[line].kind;
        lines_[line].payload_types = lines[line].payload_types;
        lines_[line].browser_to_phone.payload_type = 0xff;  // the clock rates are looked up again
        lines_[line].phone_to_browser.payload_type = 0xff;
    }
}

// The clock rate is looked up only when the payload type changes (rarely: DTMF, comfort noise).
void CallQuality::from_browser(std::size_t line, const std::uint8_t *rtp, std::uint64_t arrival_us) {
    if (line >= lines_.size()) return;
    Direction &direction = lines_[line].browser_to_phone;
    std::uint8_t type = rtp[1] & 0x7f;
    if (type != direction.payload_type) {
        direction.payload_type = type;
        direction.clock_rate = 0;
        for (const auto &pair : lines_[line].payload_types)
            if (pair.browser == type) {
                direction.clock_rate = pair.clock_rate;
                break;
            }
    }
    received(direction, rtp, direction.clock_rate, arrival_us);
}

void CallQuality::from_phone(std::size_t line, const std::uint8_t *rtp, std::uint64_t arrival_us) {
    if (line >= lines_.size()) return;
    Direction &direction = lines_[line].phone_to_browser;
    std::uint8_t type = rtp[1] & 0x7f;
    if (type != direction.payload_type) {
        direction.payload_type = type;
        direction.clock_rate = 0;
        for (const auto &pair : lines_[line].payload_types)
            if (pair.phone == type) {
                direction.clock_rate = pair.clock_rate;
                break;
            }
    }
    received(direction, rtp, direction.clock_rate, arrival_us);
}

void CallQuality::received(Direction &direction, const std::uint8_t *rtp, std::uint32_t clock_rate,
                           std::uint64_t arrival_us) {
    ++direction.received;
    std::uint32_t ssrc = read_u32(rtp + 8);
    if (direction.reception.ssrc() != ssrc) direction.peer_report.reset();  // about the stream gone
    direction.reception.receive(ssrc, read_u16(rtp + 2), read_u32(rtp + 4), clock_rate, arrival_us);
}

void CallQuality::sent_to_phone(std::size_t line) {
    if (line < lines_.size()) ++lines_[line].browser_to_phone.sent;
}

void CallQuality::sent_to_browser(std::size_t line) {
    if (line < lines_.size()) ++lines_[line].phone_to_browser.sent;
}

// The phone reports on what it receives: the browser's streams; the browser on the phone's.
void CallQuality::phone_rtcp(const std::uint8_t *rtcp, std::size_t size) {
    take_reports(lines_, &Line::browser_to_phone, rtcp, size);
}

void CallQuality::browser_rtcp(const std::uint8_t *rtcp, std::size_t size) {
    take_reports(lines_, &Line::phone_to_browser, rtcp, size);
}

void CallQuality::take_reports(std::vector<Line> &lines, Direction Line::*direction, const std::uint8_t *rtcp,
                               std::size_t size) {
    for (const auto &report : reception_reports(rtcp, size))
        for (auto &line : lines)
            if ((line.*direction).reception.ssrc() == report.ssrc) (line.*direction).peer_report = report;
}

std::string CallQuality::json(MediaSessionId id, std::uint64_t now_us) const {
    auto direction_json = [](const Direction &direction, const char *reporter) {
        auto figures = direction.reception.figures();
        std::string out = "{\"received\":" + std::to_string(direction.received) +
                          ",\"sent\":" + std::to_string(direction.sent) +
                          ",\"expected\":" + std::to_string(figures.expected) +
                          ",\"lost\":" + std::to_string(figures.lost) +
                          ",\"jitter_ms\":" + decimal(figures.jitter_ms, 3);
        if (auto ssrc = direction.reception.ssrc()) out += ",\"ssrc\":" + std::to_string(*ssrc);
        if (const auto &report = direction.peer_report) {
            std::uint32_t clock_rate = direction.reception.clock_rate();
            out += std::string(",\"") + reporter + "\":{\"fraction_lost\":" +
                   decimal(report->fraction_lost / 256.0, 4) +
                   ",\"cumulative_lost\":" + std::to_string(report->cumulative_lost) + ",\"jitter_ms\":" +
                   (clock_rate ? decimal(report->jitter * 1000.0 / clock_rate, 3) : std::string("null")) + "}";
        }
        return out + "}";
    };
    std::string out = "{\"session\":" + std::to_string(id) +
                      ",\"duration_ms\":" + std::to_string((now_us - started_us_) / 1000) + ",\"lines\":[";
    for (std::size_t index = 0; index < lines_.size(); ++index) {
        const Line &line = lines_[index];
        if (index) out += ",";
        out += "{\"line\":" + std::to_string(index) +
               ",\"kind\":" + boost::json::serialize(boost::json::string(line.kind)) +
               ",\"browser_to_phone\":" + direction_json(line.browser_to_phone, "phone_report") +
               ",\"phone_to_browser\":" + direction_json(line.phone_to_browser, "browser_report") + "}";
    }
    return out + "]}";
}

}  // namespace sylk::media
