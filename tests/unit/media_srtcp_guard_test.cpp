// SRTCP from a browser in front of libre 1.1.0 (security-review.md F6): with GCM, a packet
// whose E bit is clear and that carries no tag is refused (libre alone takes it
// unauthenticated), so is one too short to hold a tag and an index, and a replay or a
// packet behind the window, for GCM and for AES-CM; genuine SRTCP made by libre's
// srtcp_encrypt passes, late ones inside the window once each, and nothing that failed
// moves the window.
#include "media/re_ptr.hpp"
#include "media/srtcp_guard.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include <re.h>

using sylk::media::RePtr;
using sylk::media::SrtcpGuard;
using Verdict = SrtcpGuard::Verdict;

namespace {

using Bytes = std::vector<std::uint8_t>;

// A sender report of `ssrc` with no report blocks (28 bytes), its NTP time marked `mark`.
RePtr<struct mbuf> sender_report(std::uint32_t ssrc, std::uint32_t mark) {
    RePtr<struct mbuf> packet(mbuf_alloc(64));
    mbuf_write_u8(packet.get(), 0x80);
    mbuf_write_u8(packet.get(), 200);
    mbuf_write_u16(packet.get(), htons(6));
    mbuf_write_u32(packet.get(), htonl(ssrc));
    mbuf_write_u32(packet.get(), htonl(mark));
    for (int i = 0; i < 4; ++i) mbuf_write_u32(packet.get(), htonl(0x01020304u + i));
    packet->pos = 0;
    return packet;
}

Bytes contents(const struct mbuf *packet) { return Bytes(packet->buf + packet->pos, packet->buf + packet->end); }

RePtr<struct mbuf> packet_of(const Bytes &bytes) {
    RePtr<struct mbuf> packet(mbuf_alloc(bytes.size() + 64));
    mbuf_write_mem(packet.get(), bytes.data(), bytes.size());
    packet->pos = 0;
    return packet;
}

// Both ends of one direction: libre's sender and receiver from one master key.
struct Direction {
    Bytes master;
    RePtr<struct srtp> sender, receiver;
    explicit Direction(enum srtp_suite suite) {
        std::size_t size = suite == SRTP_AES_128_GCM ? 28 : 30;
        master.resize(size);
        for (std::size_t i = 0; i < size; ++i) master[i] = static_cast<std::uint8_t>(3 * i + 1);
        struct srtp *a = nullptr, *b = nullptr;
        BOOST_REQUIRE(srtp_alloc(&a, suite, master.data(), size, 0) == 0);
        BOOST_REQUIRE(srtp_alloc(&b, suite, master.data(), size, 0) == 0);
        sender.reset(a);
        receiver.reset(b);
    }
    // The next SRTCP packet of `ssrc`, as bytes (libre numbers them 1, 2, ...).
    Bytes seal(std::uint32_t ssrc, std::uint32_t mark) {
        auto packet = sender_report(ssrc, mark);
        BOOST_REQUIRE(srtcp_encrypt(sender.get(), packet.get()) == 0);
        return contents(packet.get());
    }
};

void give_key(SrtcpGuard &guard, const Direction &direction) {
    BOOST_TEST_REQUIRE(guard.set_key(direction.master.data(), direction.master.size()) == 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(media_srtcp_guard)

BOOST_AUTO_TEST_CASE(gcm_refuses_an_unencrypted_untagged_packet_and_replays) {
    Direction direction(SRTP_AES_128_GCM);
    SrtcpGuard guard(SRTP_AES_128_GCM);
    give_key(guard, direction);

    // Forged: a plain sender report followed by E=0 and an index, no tag at all.
    Bytes forged = contents(sender_report(0x4d617273, 7).get());
    for (std::uint8_t b : {0x00, 0x00, 0x00, 0x09}) forged.push_back(b);
    auto packet = packet_of(forged);
    BOOST_TEST((guard.open(packet.get()) == Verdict::not_encrypted));
    BOOST_TEST(contents(packet.get()) == forged);
    // What libre 1.1.0 does with it unguarded (told, not required: a later libre refuses it).
    auto unguarded = packet_of(forged);
    if (srtcp_decrypt(direction.receiver.get(), unguarded.get()) == 0)
        BOOST_TEST_MESSAGE("libre alone accepts an SRTCP packet with E=0 and no tag");

    // Too short for header, tag and index (8 + 16 + 4), E bit set or not.
    Bytes tiny = {0x80, 200, 0, 1, 0x4d, 0x61, 0x72, 0x73, 0x80, 0, 0, 1};
    BOOST_TEST((guard.open(packet_of(tiny).get()) == Verdict::too_short));

    // Genuine: passes and decrypts; the same bytes again are a replay.
    Bytes first = direction.seal(0x4d617273, 1);
    auto genuine = packet_of(first);
    BOOST_TEST_REQUIRE((guard.open(genuine.get()) == Verdict::opened));
    BOOST_TEST(contents(genuine.get()) == contents(sender_report(0x4d617273, 1).get()));
    BOOST_TEST((guard.open(packet_of(first).get()) == Verdict::replayed));

    // A changed byte in the encrypted part: libre's tag check refuses it; the genuine
    // packet with that index still passes afterwards (a failure moved nothing).
    Bytes second = direction.seal(0x4d617273, 2);
    Bytes tampered = second;
    tampered[10] ^= 1;
    BOOST_TEST((guard.open(packet_of(tampered).get()) == Verdict::refused));
    BOOST_TEST((guard.open(packet_of(second).get()) == Verdict::opened));
}

BOOST_AUTO_TEST_CASE(late_packets_pass_once_inside_the_window_and_not_behind_it) {
    Direction direction(SRTP_AES_128_GCM);
    SrtcpGuard guard(SRTP_AES_128_GCM);
    give_key(guard, direction);
    std::vector<Bytes> sent;  // indexes 1..100
    for (std::uint32_t i = 0; i < 100; ++i) sent.push_back(direction.seal(0x11, i));
    Bytes other = direction.seal(0x22, 0);  // another sender: a window of its own

    BOOST_TEST((guard.open(packet_of(sent[10]).get()) == Verdict::opened));
    BOOST_TEST((guard.open(packet_of(sent[90]).get()) == Verdict::opened));
    BOOST_TEST((guard.open(packet_of(other).get()) == Verdict::opened));
    BOOST_TEST((guard.open(packet_of(sent[40]).get()) == Verdict::opened));  // late
    BOOST_TEST((guard.open(packet_of(sent[40]).get()) == Verdict::replayed));
    BOOST_TEST((guard.open(packet_of(sent[20]).get()) == Verdict::too_old));  // 70 behind
    BOOST_TEST((guard.open(packet_of(other).get()) == Verdict::replayed));
}

BOOST_AUTO_TEST_CASE(aes_cm_gets_the_replay_window_too) {
    Direction direction(SRTP_AES_CM_128_HMAC_SHA1_80);
    SrtcpGuard guard(SRTP_AES_CM_128_HMAC_SHA1_80);
    give_key(guard, direction);
    Bytes first = direction.seal(0x33, 1);
    Bytes second = direction.seal(0x33, 2);
    BOOST_TEST((guard.open(packet_of(second).get()) == Verdict::opened));
    BOOST_TEST((guard.open(packet_of(first).get()) == Verdict::opened));
    BOOST_TEST((guard.open(packet_of(first).get()) == Verdict::replayed));
    BOOST_TEST((guard.open(packet_of(second).get()) == Verdict::replayed));
    Bytes tampered = direction.seal(0x33, 3);
    tampered[tampered.size() - 1] ^= 1;  // the HMAC tag
    BOOST_TEST((guard.open(packet_of(tampered).get()) == Verdict::refused));
    Bytes tiny(8 + 4 + 9, 0x80);
    BOOST_TEST((guard.open(packet_of(tiny).get()) == Verdict::too_short));
}

BOOST_AUTO_TEST_CASE(one_sender_too_many_is_refused) {
    Direction direction(SRTP_AES_128_GCM);
    SrtcpGuard guard(SRTP_AES_128_GCM);
    give_key(guard, direction);
    for (std::uint32_t ssrc = 1; ssrc <= SrtcpGuard::kMaxStreams; ++ssrc)
        BOOST_REQUIRE((guard.open(packet_of(direction.seal(ssrc, 0)).get()) ==
                       Verdict::opened));
    // libre's sender has no room for one more stream either: a second one, same keys.
    Direction same_keys(SRTP_AES_128_GCM);
    Bytes more = same_keys.seal(SrtcpGuard::kMaxStreams + 1, 0);
    BOOST_TEST((guard.open(packet_of(more).get()) == Verdict::too_many_streams));
    BOOST_TEST((guard.open(packet_of(direction.seal(1, 1)).get()) == Verdict::opened));
}

BOOST_AUTO_TEST_CASE(forgeries_from_made_up_senders_do_not_use_up_room_for_real_ones) {
    // libre makes a stream for a new SSRC before it checks the tag, and keeps 8 at most.
    Direction direction(SRTP_AES_128_GCM);
    SrtcpGuard guard(SRTP_AES_128_GCM);
    give_key(guard, direction);
    BOOST_TEST((guard.open(packet_of(direction.seal(1, 0)).get()) == Verdict::opened));
    for (std::uint32_t ssrc = 100; ssrc < 120; ++ssrc) {
        Bytes forged = direction.seal(1, 1);
        forged[4] = static_cast<std::uint8_t>(ssrc >> 24), forged[7] = static_cast<std::uint8_t>(ssrc);
        BOOST_TEST((guard.open(packet_of(forged).get()) == Verdict::refused));
    }
    Direction same_keys(SRTP_AES_128_GCM);  // libre's sender has room for 8 streams too
    for (std::uint32_t ssrc = 2; ssrc <= SrtcpGuard::kMaxStreams; ++ssrc)
        BOOST_TEST((guard.open(packet_of(same_keys.seal(ssrc, 0)).get()) == Verdict::opened));
    BOOST_TEST((guard.open(packet_of(direction.seal(1, 2)).get()) == Verdict::opened));  // the first one still
}

BOOST_AUTO_TEST_SUITE_END()
