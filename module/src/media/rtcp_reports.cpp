#include "media/rtcp_reports.hpp"

namespace sylk::media {

namespace {

constexpr std::uint8_t kSenderReport = 200;
constexpr std::uint8_t kReceiverReport = 201;
constexpr std::size_t kHeader = 4;      // V P RC, PT, length
constexpr std::size_t kSenderInfo = 20;  // NTP and RTP timestamps, packet and octet counts
constexpr std::size_t kBlock = 24;

std::uint32_t read_u32(const std::uint8_t *p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

ReceptionReport read_block(const std::uint8_t *p) {
    ReceptionReport report;
    report.ssrc = read_u32(p);
    report.fraction_lost = p[4];
    std::uint32_t lost = std::uint32_t(p[5]) << 16 | std::uint32_t(p[6]) << 8 | p[7];
    report.cumulative_lost = static_cast<std::int32_t>(lost & 0x800000 ? lost | 0xff000000u : lost);
    report.highest_sequence = read_u32(p + 8);
    report.jitter = read_u32(p + 12);
    return report;
}

}  // namespace

std::vector<ReceptionReport> reception_reports(const std::uint8_t *data, std::size_t size) {
    std::vector<ReceptionReport> reports;
    std::size_t at = 0;
    while (size - at >= kHeader) {
        const std::uint8_t *packet = data + at;
        if (packet[0] >> 6 != 2) break;  // not RTCP version 2
        std::size_t length = (std::size_t(packet[2]) << 8 | packet[3]) * 4 + 4;
        if (length > size - at) break;
        std::size_t blocks = packet[0] & 0x1f;
        std::uint8_t type = packet[1];
        if (type == kSenderReport || type == kReceiverReport) {
            std::size_t first = kHeader + 4 + (type == kSenderReport ? kSenderInfo : 0);  // after the sender's SSRC
            if (first + blocks * kBlock > length) break;
            for (std::size_t block = 0; block < blocks; ++block) reports.push_back(read_block(packet + first + block * kBlock));
        }
        at += length;
    }
    return reports;
}

}  // namespace sylk::media
