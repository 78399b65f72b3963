// The order in front of libre's srtp_encrypt (security-review.md F12): per SSRC only a
// packet newer than every one sent goes, across the rollover too; repeats and late ones
// are dropped. What it lets through, libre seals at the very index RFC 3711 gives it: our
// receiver (which reads indexes that way, and refuses an index twice) opens every packet
// libre sealed from a sequence full of repeats, late packets, jumps and rollovers.
#include "media/re_ptr.hpp"
#include "media/send_order.hpp"
#include "media/srtp_gcm.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include <re.h>

using sylk::media::RePtr;
using sylk::media::SendOrder;
using sylk::media::SrtpGcm;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes rtp(std::uint32_t ssrc, std::uint16_t sequence) {
    Bytes packet = {0x80, 0, std::uint8_t(sequence >> 8), std::uint8_t(sequence), 0, 0, 0, 0,
                    std::uint8_t(ssrc >> 24), std::uint8_t(ssrc >> 16), std::uint8_t(ssrc >> 8), std::uint8_t(ssrc)};
    for (int i = 0; i < 40; ++i) packet.push_back(static_cast<std::uint8_t>(sequence + i));
    return packet;
}

bool admit(SendOrder &order, std::uint32_t ssrc, std::uint16_t sequence) {
    Bytes packet = rtp(ssrc, sequence);
    return order.admit(packet.data(), packet.size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(media_send_order)

BOOST_AUTO_TEST_CASE(only_newer_packets_go_across_the_rollover) {
    SendOrder order;
    BOOST_TEST(admit(order, 1, 65530));
    BOOST_TEST(!admit(order, 1, 65530));  // repeated
    BOOST_TEST(admit(order, 1, 65535));
    BOOST_TEST(!admit(order, 1, 65532));  // late
    BOOST_TEST(admit(order, 1, 2));       // rollover
    BOOST_TEST(!admit(order, 1, 65534));  // late, from before the rollover
    BOOST_TEST(admit(order, 1, 3));
    BOOST_TEST(admit(order, 2, 7));       // each SSRC on its own
    BOOST_TEST(!admit(order, 2, 7));
    BOOST_TEST(admit(order, 1, 4));
}

BOOST_AUTO_TEST_CASE(one_stream_too_many_is_refused) {
    SendOrder order;
    for (std::uint32_t ssrc = 1; ssrc <= SendOrder::kMaxStreams; ++ssrc) BOOST_REQUIRE(admit(order, ssrc, 0));
    BOOST_TEST(!admit(order, SendOrder::kMaxStreams + 1, 0));
    BOOST_TEST(admit(order, 1, 1));
}

BOOST_AUTO_TEST_CASE(libre_seals_what_it_lets_through_at_the_index_rfc_3711_gives) {
    std::mt19937 random(31);
    Bytes master(SrtpGcm::kMasterSize);
    for (auto &b : master) b = static_cast<std::uint8_t>(random());
    struct srtp *sender = nullptr;
    BOOST_REQUIRE(srtp_alloc(&sender, SRTP_AES_128_GCM, master.data(), master.size(), 0) == 0);
    RePtr<struct srtp> libre(sender);
    SrtpGcm receiver(master.data());
    SendOrder order;
    std::uint16_t sequence = 60000;
    std::size_t sent = 0;
    for (int n = 0; n < 20000; ++n) {
        switch (random() % 8) {
        case 0: break;                                                                  // repeat
        case 1: sequence = static_cast<std::uint16_t>(sequence - random() % 200); break;  // late
        case 2: sequence = static_cast<std::uint16_t>(sequence + random() % 40000); break;  // jump
        default: sequence = static_cast<std::uint16_t>(sequence + 1); break;
        }
        Bytes plain = rtp(0x5501a0b2, sequence);
        if (!order.admit(plain.data(), plain.size())) continue;
        RePtr<struct mbuf> packet(mbuf_alloc(plain.size() + 16));
        mbuf_write_mem(packet.get(), plain.data(), plain.size());
        packet->pos = 0;
        BOOST_REQUIRE(srtp_encrypt(libre.get(), packet.get()) == 0);
        BOOST_REQUIRE_MESSAGE(receiver.unprotect(packet.get()), "packet " << n << ", sequence " << sequence);
        BOOST_REQUIRE(Bytes(packet->buf + packet->pos, packet->buf + packet->end) == plain);
        ++sent;
    }
    BOOST_TEST(sent > 5000u);  // jumps past half the number space read as going back, and are dropped
}

BOOST_AUTO_TEST_SUITE_END()
