// The hang-up quality line's arithmetic: RFC 3550 A.3 loss from the extended highest
// sequence number (in order, a gap, a wrap, reordering, duplicates, a restart, a new
// SSRC), A.8 jitter in ms from the payload's clock, the RTCP report blocks of SR and RR
// (and malformed packets that must not be read past), and the JSON a call gives.
#include "media/call_quality.hpp"
#include "media/rtcp_reports.hpp"
#include "media/rtp_reception.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

using namespace sylk::media;

namespace {

constexpr std::uint32_t kSsrc = 0x11223344;

// Packets of one 8 kHz stream, 20 ms apart with timestamps 160 apart, arriving on time.
void receive_in_order(RtpReception &reception, std::uint16_t first, int count, std::uint32_t ssrc = kSsrc) {
    for (int i = 0; i < count; ++i) {
        auto sequence = static_cast<std::uint16_t>(first + i);
        reception.receive(ssrc, sequence, 160u * sequence, 8000, 20000ull * sequence);
    }
}

void put_u32(std::vector<std::uint8_t> &out, std::uint32_t value) {
    for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// One report block: SSRC, fraction lost, cumulative lost (24 bits), highest sequence, jitter, LSR, DLSR.
void put_block(std::vector<std::uint8_t> &out, std::uint32_t ssrc, std::uint8_t fraction, std::int32_t lost,
               std::uint32_t jitter) {
    put_u32(out, ssrc);
    put_u32(out, std::uint32_t(fraction) << 24 | (static_cast<std::uint32_t>(lost) & 0xffffff));
    put_u32(out, 70000);
    put_u32(out, jitter);
    put_u32(out, 0);
    put_u32(out, 0);
}

// An SR (with `blocks` blocks) followed by an RR with one block, and an SDES.
std::vector<std::uint8_t> compound(std::uint32_t about) {
    std::vector<std::uint8_t> out = {0x81, 200, 0, 12};  // SR, 1 block: (4 + 4 + 20 + 24) / 4 - 1 = 12
    put_u32(out, 0xaaaaaaaa);
    for (int i = 0; i < 5; ++i) put_u32(out, 0);  // sender info
    put_block(out, about, 64, 3, 400);
    std::vector<std::uint8_t> rr = {0x81, 201, 0, 7};
    put_u32(rr, 0xaaaaaaaa);
    put_block(rr, 0x99999999, 0, -2, 8);
    out.insert(out.end(), rr.begin(), rr.end());
    std::vector<std::uint8_t> sdes = {0x81, 202, 0, 1, 0xaa, 0xaa, 0xaa, 0xaa};
    out.insert(out.end(), sdes.begin(), sdes.end());
    return out;
}

std::vector<std::uint8_t> rtp(std::uint8_t type, std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t ssrc) {
    std::vector<std::uint8_t> out = {0x80, type, static_cast<std::uint8_t>(sequence >> 8),
                                     static_cast<std::uint8_t>(sequence)};
    put_u32(out, timestamp);
    put_u32(out, ssrc);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(media_quality)

BOOST_AUTO_TEST_CASE(nothing_received_counts_nothing) {
    RtpReception reception;
    auto figures = reception.figures();
    BOOST_TEST(figures.expected == 0u);
    BOOST_TEST(figures.lost == 0);
    BOOST_TEST(!reception.ssrc());
}

BOOST_AUTO_TEST_CASE(in_order_loses_nothing_and_has_no_jitter) {
    RtpReception reception;
    receive_in_order(reception, 1000, 500);
    auto figures = reception.figures();
    BOOST_TEST(figures.counted == 500u);
    BOOST_TEST(figures.expected == 500u);
    BOOST_TEST(figures.lost == 0);
    BOOST_TEST(figures.jitter_ms == 0.0);
}

BOOST_AUTO_TEST_CASE(a_gap_is_lost) {
    RtpReception reception;
    receive_in_order(reception, 0, 10);   // 0-9
    receive_in_order(reception, 15, 5);   // 15-19: 10-14 missing
    auto figures = reception.figures();
    BOOST_TEST(figures.expected == 20u);
    BOOST_TEST(figures.lost == 5);
}

BOOST_AUTO_TEST_CASE(the_sequence_wraps) {
    RtpReception reception;
    receive_in_order(reception, 65530, 6);  // 65530-65535
    receive_in_order(reception, 0, 3);      // 0-2
    receive_in_order(reception, 5, 5);      // 5-9: 3 and 4 missing
    auto figures = reception.figures();
    BOOST_TEST(figures.expected == 16u);  // 65530 .. 65536 + 9
    BOOST_TEST(figures.lost == 2);
}

BOOST_AUTO_TEST_CASE(reordering_across_the_wrap_loses_nothing) {
    RtpReception reception;
    for (std::uint16_t sequence : {65533, 65535, 65534, 1, 0, 2, 3})
        reception.receive(kSsrc, sequence, 160u * sequence, 8000, 0);
    auto figures = reception.figures();
    BOOST_TEST(figures.expected == 7u);
    BOOST_TEST(figures.lost == 0);
}

BOOST_AUTO_TEST_CASE(a_duplicate_makes_loss_negative_as_a3_says) {
    RtpReception reception;
    for (std::uint16_t sequence : {10, 11, 11, 12}) reception.receive(kSsrc, sequence, 0, 8000, 0);
    BOOST_TEST(reception.figures().lost == -1);
}

BOOST_AUTO_TEST_CASE(a_jump_is_a_restart_only_when_the_next_packet_follows) {
    RtpReception reception;
    receive_in_order(reception, 100, 10);                 // 100-109
    reception.receive(kSsrc, 40000, 0, 8000, 0);           // a stray: not counted
    receive_in_order(reception, 110, 10);                 // 110-119, no loss
    BOOST_TEST(reception.figures().expected == 20u);
    BOOST_TEST(reception.figures().lost == 0);
    receive_in_order(reception, 50000, 10);               // the sender restarted at 50000
    auto figures = reception.figures();
    BOOST_TEST(figures.expected == 20u + 9u);  // the new run starts at 50001, which confirmed it
    BOOST_TEST(figures.lost == 0);
}

BOOST_AUTO_TEST_CASE(a_new_ssrc_starts_a_run_and_keeps_the_old_counts) {
    RtpReception reception;
    receive_in_order(reception, 0, 10);
    receive_in_order(reception, 12, 3);  // 10 and 11 lost
    receive_in_order(reception, 7000, 20, 0x55555555);
    auto figures = reception.figures();
    BOOST_TEST(figures.expected == 15u + 20u);
    BOOST_TEST(figures.lost == 2);
    BOOST_TEST(*reception.ssrc() == 0x55555555u);
}

BOOST_AUTO_TEST_CASE(jitter_follows_a8) {
    // One packet 2 ms late (16 units at 8 kHz): |D| = 16 once, J = 16/16 = 1 unit = 0.125 ms.
    RtpReception reception;
    reception.receive(kSsrc, 0, 0, 8000, 0);
    reception.receive(kSsrc, 1, 160, 8000, 22000);
    BOOST_TEST(reception.figures().jitter_ms == 0.125, boost::test_tools::tolerance(1e-9));
    // Every other packet 2 ms late: |D| = 16 each time, and J converges on 16 units, 2 ms
    // (A.8's integer form settles half a unit short: 1.94 ms).
    RtpReception steady;
    for (std::uint16_t sequence = 0; sequence < 1000; ++sequence)
        steady.receive(kSsrc, sequence, 160u * sequence, 8000, 20000ull * sequence + (sequence % 2) * 2000);
    BOOST_TEST(steady.figures().jitter_ms == 2.0, boost::test_tools::tolerance(0.05));
    // The same at 48 kHz (timestamps 960 apart): still 2 ms.
    RtpReception opus;
    for (std::uint16_t sequence = 0; sequence < 1000; ++sequence)
        opus.receive(kSsrc, sequence, 960u * sequence + 12345, 48000, 20000ull * sequence + (sequence % 2) * 2000);
    BOOST_TEST(opus.figures().jitter_ms == 2.0, boost::test_tools::tolerance(0.05));
}

BOOST_AUTO_TEST_CASE(jitter_across_timestamp_wrap) {
    RtpReception reception;
    std::uint32_t start = 0xffffffffu - 160 * 10;
    for (std::uint16_t sequence = 0; sequence < 50; ++sequence)
        reception.receive(kSsrc, sequence, start + 160u * sequence, 8000, 1000000000000ull + 20000ull * sequence);
    BOOST_TEST(reception.figures().jitter_ms == 0.0);
}

BOOST_AUTO_TEST_CASE(report_blocks_of_sr_and_rr) {
    auto packet = compound(kSsrc);
    auto reports = reception_reports(packet.data(), packet.size());
    BOOST_TEST_REQUIRE(reports.size() == 2u);
    BOOST_TEST(reports[0].ssrc == kSsrc);
    BOOST_TEST(reports[0].fraction_lost == 64);
    BOOST_TEST(reports[0].cumulative_lost == 3);
    BOOST_TEST(reports[0].highest_sequence == 70000u);
    BOOST_TEST(reports[0].jitter == 400u);
    BOOST_TEST(reports[1].ssrc == 0x99999999u);
    BOOST_TEST(reports[1].cumulative_lost == -2);  // 24-bit signed
}

BOOST_AUTO_TEST_CASE(malformed_rtcp_is_not_read_past) {
    auto packet = compound(kSsrc);
    // Every truncation: only whole packets before the cut give blocks.
    for (std::size_t size = 0; size < packet.size(); ++size) {
        std::vector<std::uint8_t> cut(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(size));
        auto reports = reception_reports(cut.data(), cut.size());
        BOOST_TEST(reports.size() == (size >= 52 + 32 ? 2u : size >= 52 ? 1u : 0u), "cut at " << size);
    }
    // A block count the length does not hold.
    auto lying = compound(kSsrc);
    lying[0] = 0x80 | 31;
    BOOST_TEST(reception_reports(lying.data(), lying.size()).empty());
    // A length past the end.
    auto longer = compound(kSsrc);
    longer[3] = 200;
    BOOST_TEST(reception_reports(longer.data(), longer.size()).empty());
    // Not version 2.
    auto version = compound(kSsrc);
    version[0] = 0x41;
    BOOST_TEST(reception_reports(version.data(), version.size()).empty());
}

BOOST_AUTO_TEST_CASE(a_call_s_quality_line) {
    BridgedLine audio;
    audio.kind = "audio";
    audio.payload_types = {{111, 98, 48000}, {0, 0, 8000}};
    CallQuality quality(1000000);
    quality.set_lines({audio});
    // Browser to phone: Opus 111, one packet of ten lost; the phone reports on it.
    for (std::uint16_t sequence = 0; sequence < 10; ++sequence) {
        if (sequence == 4) continue;
        auto packet = rtp(111, sequence, 960u * sequence, 0xb0b0b0b0);
        quality.from_browser(0, packet.data(), 1000000 + 20000ull * sequence);
        quality.sent_to_phone(0);
    }
    auto phone_report = compound(0xb0b0b0b0);
    quality.phone_rtcp(phone_report.data(), phone_report.size());
    // Phone to browser: PCMU under the phone's 0; the browser's report is about another SSRC.
    for (std::uint16_t sequence = 0; sequence < 5; ++sequence) {
        auto packet = rtp(0, sequence, 160u * sequence, 0xc0c0c0c0);
        quality.from_phone(0, packet.data(), 1000000 + 20000ull * sequence);
    }
    auto browser_report = compound(0x12345678);
    quality.browser_rtcp(browser_report.data(), browser_report.size());

    auto line = boost::json::parse(quality.json(42, 61500000));
    BOOST_TEST(line.at("session").as_int64() == 42);
    BOOST_TEST(line.at("duration_ms").as_int64() == 60500);
    const auto &lines = line.at("lines").as_array();
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0].at("kind").as_string() == "audio");
    const auto &to_phone = lines[0].at("browser_to_phone");
    BOOST_TEST(to_phone.at("received").as_int64() == 9);
    BOOST_TEST(to_phone.at("sent").as_int64() == 9);
    BOOST_TEST(to_phone.at("expected").as_int64() == 10);
    BOOST_TEST(to_phone.at("lost").as_int64() == 1);
    BOOST_TEST(to_phone.at("phone_report").at("fraction_lost").as_double() == 0.25);
    BOOST_TEST(to_phone.at("phone_report").at("cumulative_lost").as_int64() == 3);
    BOOST_TEST(to_phone.at("phone_report").at("jitter_ms").as_double() == 400 * 1000.0 / 48000,
               boost::test_tools::tolerance(1e-3));
    const auto &to_browser = lines[0].at("phone_to_browser");
    BOOST_TEST(to_browser.at("received").as_int64() == 5);
    BOOST_TEST(to_browser.at("sent").as_int64() == 0);
    BOOST_TEST(to_browser.at("lost").as_int64() == 0);
    BOOST_TEST(!to_browser.as_object().contains("browser_report"));
}

BOOST_AUTO_TEST_SUITE_END()
