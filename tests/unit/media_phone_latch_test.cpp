// The phone side takes media only from the phone (security-review.md F5). SourceLatch's
// rules on their own: nothing before the SDP; the SDP's exact source latched at once; a
// phone behind NAT (its SDP shows a private address) learnt from its first packets, the
// SDP's address with another port preferred to any other; learning over after five
// packets or three seconds; learnt again only for a changed SDP. Then PhoneTransport on a
// real libre loop and real sockets, with and without the phone ring: once the phone is
// latched, a stranger's packets (from 127.0.0.2: loopback is a whole /8) are dropped and
// counted, the phone's are relayed, and media goes back to where the phone sends from.
#include "media/phone_ring.hpp"
#include "media/phone_transport.hpp"
#include "media/round_end.hpp"
#include "media/source_latch.hpp"

#include "libre_thread.hpp"
#include "udp_peer.hpp"

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <re.h>

using sylk::media::PhoneRing;
using sylk::media::PhoneTransport;
using sylk::media::RoundEnd;
using sylk::media::SourceLatch;
using sylk::testing::Bytes;
using sylk::testing::on_libre_thread;
using sylk::testing::Peer;
using sylk::testing::socket_address;

namespace {

bool same(const struct sa *a, const struct sa &b) { return a && sa_cmp(a, &b, SA_ALL); }

void run_loop_for(unsigned ms) {
    struct tmr stop;
    tmr_init(&stop);
    tmr_start(&stop, ms, [](void *) { re_cancel(); }, nullptr);
    re_main(nullptr);
    tmr_cancel(&stop);
}

// An RTP packet (version 2) whose payload names its sender.
Bytes rtp(const std::string &who) {
    Bytes packet = {0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7};
    packet.insert(packet.end(), who.begin(), who.end());
    return packet;
}
Bytes rtcp(const std::string &who) {
    Bytes packet = {0x80, 201, 0, 1, 0, 0, 0, 7};
    packet.insert(packet.end(), who.begin(), who.end());
    return packet;
}

struct Recorder final : PhoneTransport::Events {
    std::vector<Bytes> rtp, rtcp;
    void phone_rtp(std::size_t, struct mbuf *packet) override {
        rtp.emplace_back(mbuf_buf(packet), mbuf_buf(packet) + mbuf_get_left(packet));
    }
    void phone_rtcp(std::size_t, struct mbuf *packet) override {
        rtcp.emplace_back(mbuf_buf(packet), mbuf_buf(packet) + mbuf_get_left(packet));
    }
};

// A PhoneTransport on a free even/odd pair of 127.0.0.1.
std::unique_ptr<PhoneTransport> bound_transport(Recorder &events, PhoneRing *ring, struct sa &rtp_address,
                                                struct sa &rtcp_address) {
    struct sa local = socket_address("127.0.0.1", 0);
    for (std::uint16_t port = 47000; port < 47400; port += 2) {
        auto candidate = std::make_unique<PhoneTransport>(events, 0, ring);
        if (candidate->listen(local, port) == 0) {
            rtp_address = socket_address("127.0.0.1", port);
            rtcp_address = socket_address("127.0.0.1", static_cast<std::uint16_t>(port + 1));
            return candidate;
        }
    }
    BOOST_FAIL("no free port pair");
    return nullptr;
}

void send_to_phone(PhoneTransport &transport, const Bytes &bytes) {
    Bytes copy = bytes;
    struct mbuf packet {};
    packet.buf = copy.data();
    packet.size = packet.end = copy.size();
    transport.send_rtp(&packet);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(media_phone_latch)

BOOST_AUTO_TEST_CASE(nothing_is_taken_before_the_sdp_or_after_it_says_port_0) {
    SourceLatch latch;
    BOOST_TEST(!latch.take(socket_address("192.0.2.10", 4000), 0));
    BOOST_TEST(latch.destination() == nullptr);
    latch.expect(socket_address("192.0.2.10", 4000));
    BOOST_TEST(latch.take(socket_address("192.0.2.10", 4000), 0));
    latch.clear();
    BOOST_TEST(!latch.take(socket_address("192.0.2.10", 4000), 0));
    BOOST_TEST(latch.destination() == nullptr);
}

BOOST_AUTO_TEST_CASE(the_sdp_source_wins_at_once_and_for_good) {
    SourceLatch latch;
    const auto sdp = socket_address("192.0.2.10", 4000), stranger = socket_address("198.51.100.7", 5555);
    latch.expect(sdp);
    BOOST_TEST(same(latch.destination(), sdp));
    BOOST_TEST(latch.take(stranger, 0));  // first of all, while learning: the peer for now
    BOOST_TEST(same(latch.destination(), stranger));
    BOOST_TEST(latch.take(sdp, 10));      // the SDP's own source beats it
    BOOST_TEST(same(latch.destination(), sdp));
    BOOST_TEST(!latch.learning());
    BOOST_TEST(!latch.take(stranger, 20));
    BOOST_TEST(!latch.take(socket_address("192.0.2.10", 4001), 30));  // the right host, another port
    BOOST_TEST(latch.take(sdp, 40));
}

BOOST_AUTO_TEST_CASE(behind_nat_the_first_source_is_learnt_then_locked_after_five_packets) {
    SourceLatch latch;
    const auto sdp = socket_address("10.0.0.5", 4000), phone = socket_address("203.0.113.9", 31000);
    latch.expect(sdp);
    BOOST_TEST(latch.take(phone, 0));
    BOOST_TEST(same(latch.destination(), phone));  // media goes where the phone sends from
    BOOST_TEST(!latch.take(socket_address("203.0.113.66", 31000), 1));  // no better: a stranger
    for (int i = 0; i < 3; ++i) BOOST_TEST(latch.take(phone, 2 + i));  // five packets seen
    BOOST_TEST(latch.take(phone, 10));
    BOOST_TEST(!latch.learning());
    BOOST_TEST(!latch.take(sdp, 11));  // even the SDP's source comes too late now
    BOOST_TEST(same(latch.destination(), phone));
}

BOOST_AUTO_TEST_CASE(an_sdp_address_that_may_not_be_sent_to_is_only_learnt_from) {
    SourceLatch latch;
    const auto sdp = socket_address("192.168.1.20", 4000), nat = socket_address("203.0.113.9", 61000);
    latch.expect(sdp, false);
    BOOST_TEST(latch.expecting());
    BOOST_TEST(latch.destination() == nullptr);  // nothing goes to the private address
    BOOST_TEST(latch.take(nat, 0));
    BOOST_TEST(same(latch.destination(), nat));
    latch.expect(socket_address("192.168.1.20", 4002), false);  // a new SDP: learning again, still not there
    BOOST_TEST(latch.destination() == nullptr);
}

BOOST_AUTO_TEST_CASE(the_sdp_address_with_another_port_beats_any_other_while_learning) {
    SourceLatch latch;
    const auto sdp = socket_address("192.0.2.10", 4000), nat_port = socket_address("192.0.2.10", 61000);
    latch.expect(sdp);
    BOOST_TEST(latch.take(socket_address("198.51.100.7", 5555), 0));
    BOOST_TEST(latch.take(nat_port, 1));
    BOOST_TEST(same(latch.destination(), nat_port));
    BOOST_TEST(!latch.take(socket_address("198.51.100.7", 5555), 2));
    BOOST_TEST(!latch.take(socket_address("192.0.2.10", 61002), 3));  // as good, not better
}

BOOST_AUTO_TEST_CASE(learning_ends_three_seconds_after_the_first_packet) {
    SourceLatch latch;
    const auto phone = socket_address("203.0.113.9", 31000);
    latch.expect(socket_address("10.0.0.5", 4000));
    BOOST_TEST(latch.take(phone, 1000));
    BOOST_TEST(latch.learning());
    BOOST_TEST(latch.take(phone, 1000 + SourceLatch::kLearningMs));
    BOOST_TEST(!latch.learning());
    BOOST_TEST(!latch.take(socket_address("10.0.0.5", 4002), 1000 + SourceLatch::kLearningMs + 1));
}

BOOST_AUTO_TEST_CASE(only_a_changed_sdp_learns_again) {
    SourceLatch latch;
    const auto sdp = socket_address("192.0.2.10", 4000), moved = socket_address("192.0.2.20", 4000);
    latch.expect(sdp);
    BOOST_TEST(latch.take(sdp, 0));
    latch.expect(sdp);  // a re-INVITE with the same media address
    BOOST_TEST(!latch.take(moved, 1));
    latch.expect(moved);  // the phone moved
    BOOST_TEST(same(latch.destination(), moved));
    BOOST_TEST(latch.take(moved, 2));
    BOOST_TEST(!latch.take(sdp, 3));
}

BOOST_AUTO_TEST_CASE(a_stranger_is_not_relayed_once_the_phone_is_latched) {
    for (bool with_ring : {false, true}) {
        BOOST_TEST_MESSAGE((with_ring ? "with the phone ring" : "one system call per packet"));
        on_libre_thread([with_ring] {
            RoundEnd round_end;
            PhoneRing ring(round_end);
            if (with_ring) BOOST_TEST_REQUIRE(ring.open() == 0);
            Recorder events;
            struct sa rtp_port {}, rtcp_port {};
            auto transport = bound_transport(events, with_ring ? &ring : nullptr, rtp_port, rtcp_port);
            Peer phone, phone_rtcp, stranger(INADDR_LOOPBACK + 1);  // 127.0.0.2

            // Before the phone's SDP: nothing is taken.
            phone.send_to(rtp_port, rtp("early"));
            run_loop_for(50);
            BOOST_TEST(events.rtp.empty());
            BOOST_TEST(transport->drops().unknown_phone == 1u);

            BOOST_TEST_REQUIRE(transport->set_phone({"127.0.0.1", sa_port(&phone.address)}) == 0);
            phone.send_to(rtp_port, rtp("phone 1"));
            run_loop_for(50);
            stranger.send_to(rtp_port, rtp("stranger"));
            run_loop_for(50);
            phone.send_to(rtp_port, rtp("phone 2"));
            run_loop_for(50);
            BOOST_TEST_REQUIRE(events.rtp.size() == 2u);
            BOOST_TEST((events.rtp[0] == rtp("phone 1")));
            BOOST_TEST((events.rtp[1] == rtp("phone 2")));
            BOOST_TEST(transport->drops().rtp_stranger == 1u);

            // RTCP learns on its own (the SDP's port + 1 expected; NAT may map it anywhere).
            phone_rtcp.send_to(rtcp_port, rtcp("phone"));
            run_loop_for(50);
            stranger.send_to(rtcp_port, rtcp("stranger"));
            run_loop_for(50);
            BOOST_TEST_REQUIRE(events.rtcp.size() == 1u);
            BOOST_TEST((events.rtcp[0] == rtcp("phone")));
            BOOST_TEST(transport->drops().rtcp_stranger == 1u);

            // Junk is not learnt from, and media goes to the phone, not the stranger.
            phone.send_to(rtp_port, Bytes{0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
            send_to_phone(*transport, rtp("to the phone"));
            run_loop_for(50);
            BOOST_TEST(transport->drops().not_rtp == 1u);
            BOOST_TEST((phone.receive() == rtp("to the phone")));
            BOOST_TEST(stranger.receives_nothing_for(50));
        });
    }
}

BOOST_AUTO_TEST_CASE(a_phone_behind_nat_is_learnt_from_its_packets_and_answered_there) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        BOOST_TEST_REQUIRE(ring.open() == 0);
        Recorder events;
        struct sa rtp_port {}, rtcp_port {};
        auto transport = bound_transport(events, &ring, rtp_port, rtcp_port);
        Peer phone, stranger(INADDR_LOOPBACK + 1);
        // Its SDP shows a private address nobody here has; its packets come from 127.0.0.1.
        BOOST_TEST_REQUIRE(transport->set_phone({"10.255.0.5", 4000}) == 0);
        phone.send_to(rtp_port, rtp("phone"));
        run_loop_for(50);
        stranger.send_to(rtp_port, rtp("stranger"));
        run_loop_for(50);
        BOOST_TEST_REQUIRE(events.rtp.size() == 1u);
        BOOST_TEST((events.rtp[0] == rtp("phone")));
        BOOST_TEST(transport->drops().rtp_stranger == 1u);
        send_to_phone(*transport, rtp("answer"));
        run_loop_for(50);
        BOOST_TEST((phone.receive() == rtp("answer")));
    });
}

BOOST_AUTO_TEST_SUITE_END()
