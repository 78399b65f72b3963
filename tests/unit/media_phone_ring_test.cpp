// PhoneRing, the media worker's io_uring for its phone sockets, on a real libre loop and
// real sockets: a round's reads are made together after the round and each datagram
// reaches its own reader; sends wait for the end of the round, then arrive whole and in
// order; what was queued for a socket that closes does not run on the descriptor
// number's next owner, also when a PhoneTransport goes; a round larger than the ring, or
// one queued while a round is being handed out, loses nothing; a send the kernel refuses
// is counted; readers' sockets are registered with the ring and their requests use the
// registration, which ends when the reader goes (the socket's port is free again).
#include "media/phone_ring.hpp"
#include "media/phone_transport.hpp"
#include "media/re_ptr.hpp"
#include "media/socket_reader.hpp"

#include "gateway_socket.hpp"
#include "libre_thread.hpp"
#include "udp_peer.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <re.h>

using sylk::media::PhoneRing;
using sylk::media::RoundEnd;
using sylk::media::RePtr;
using sylk::media::SocketReader;
using sylk::testing::Bytes;
using sylk::testing::GatewaySocket;
using sylk::testing::on_libre_thread;
using sylk::testing::Peer;

namespace {

Bytes bytes_of(const std::string &text) { return Bytes(text.begin(), text.end()); }

void send_through(PhoneRing &ring, int fd, const struct sa &to, const std::string &text) {
    struct mbuf packet {};
    Bytes data = bytes_of(text);
    packet.buf = data.data();
    packet.size = packet.end = data.size();
    ring.send(fd, to, packet);  // copies: `data` may go
}

void run_loop_for(unsigned ms) {
    struct tmr stop;
    tmr_init(&stop);
    tmr_start(&stop, ms, [](void *) { re_cancel(); }, nullptr);
    re_main(nullptr);
    tmr_cancel(&stop);
}

// Peers enough that a burst of `count` datagrams spread over them, round robin, fits in
// their default receive buffers (the kernel charges each small datagram about 1 KiB).
std::vector<std::unique_ptr<Peer>> peers_for(unsigned count) {
    std::vector<std::unique_ptr<Peer>> peers;
    for (unsigned i = 0; i < (count + 31) / 32; ++i) peers.push_back(std::make_unique<Peer>());
    return peers;
}

// What the peers received, in the round-robin order they were sent in.
std::vector<Bytes> receive_round_robin(const std::vector<std::unique_ptr<Peer>> &peers, unsigned count) {
    std::vector<Bytes> arrived;
    std::vector<std::vector<Bytes>> by_peer(peers.size());
    for (unsigned i = 0; i < count; ++i) by_peer[i % peers.size()].push_back(peers[i % peers.size()]->receive());
    std::vector<std::size_t> next(peers.size(), 0);
    for (unsigned i = 0; i < count; ++i) arrived.push_back(by_peer[i % peers.size()][next[i % peers.size()]++]);
    return arrived;
}

void open_ring(PhoneRing &ring) {
    int err = ring.open();
    BOOST_TEST_REQUIRE(err == 0, "io_uring cannot be set up here: " << std::strerror(err));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(phone_ring)

BOOST_AUTO_TEST_CASE(reads_of_one_round_go_in_one_submission_and_each_reaches_its_reader) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        open_ring(ring);
        std::vector<std::unique_ptr<GatewaySocket>> sockets;
        for (int i = 0; i < 5; ++i) sockets.push_back(std::make_unique<GatewaySocket>(ring));
        Peer phone;
        // libre ends the first round that handles a descriptor after that one (its polling
        // method has just been chosen); a worker's loop is long past it.
        phone.send_to(sockets[0]->address, bytes_of("first"));
        run_loop_for(10);
        BOOST_TEST_REQUIRE(sockets[0]->received.size() == 1u);
        sockets[0]->received.clear();
        PhoneRing::Counters before = ring.counters();
        for (int i = 0; i < 5; ++i) phone.send_to(sockets[i]->address, bytes_of("rtp " + std::to_string(i)));

        run_loop_for(100);

        for (int i = 0; i < 5; ++i) {
            BOOST_TEST_REQUIRE(sockets[i]->received.size() == 1u);
            BOOST_TEST((sockets[i]->received[0] == bytes_of("rtp " + std::to_string(i))));
            // with the sender's address, which the phone side latches on
            BOOST_TEST(sa_cmp(&sockets[i]->sources.back(), &phone.address, SA_ALL));
        }
        BOOST_TEST(ring.counters().requests - before.requests == 5u);
        // All five were waiting when the loop looked: one system call for them.
        BOOST_TEST(ring.counters().submissions - before.submissions == 1u);
    });
}

BOOST_AUTO_TEST_CASE(readers_sockets_are_registered_and_their_reads_and_sends_use_it) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        open_ring(ring);
        GatewaySocket first(ring), second(ring);
        BOOST_TEST(ring.registered() == 2u);
        Peer phone;
        phone.send_to(first.address, bytes_of("to the first"));
        phone.send_to(second.address, bytes_of("to the second"));
        send_through(ring, first.fd(), phone.address, "from the first");
        send_through(ring, second.fd(), phone.address, "from the second");

        run_loop_for(100);

        BOOST_TEST_REQUIRE(first.received.size() == 1u);
        BOOST_TEST((first.received[0] == bytes_of("to the first")));
        BOOST_TEST_REQUIRE(second.received.size() == 1u);
        BOOST_TEST((second.received[0] == bytes_of("to the second")));
        BOOST_TEST((phone.receive() == bytes_of("from the first")));
        BOOST_TEST((phone.receive() == bytes_of("from the second")));
        BOOST_TEST(ring.counters().requests >= 4u);  // the two reads, maybe with a retry, and the two sends
        BOOST_TEST(ring.counters().fixed_requests == ring.counters().requests);
    });
}

BOOST_AUTO_TEST_CASE(a_socket_whose_reader_goes_is_no_longer_registered_and_its_port_is_free) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        open_ring(ring);
        auto going = std::make_unique<GatewaySocket>(ring);
        struct sa address = going->address;
        BOOST_TEST_REQUIRE(ring.registered() == 1u);

        going.reset();  // the reader forgets its descriptor, then libre closes the socket

        BOOST_TEST(ring.registered() == 0u);
        BOOST_TEST(ring.counters().unregister_failed == 0u);
        // Were the ring still holding the socket, its port would still be bound.
        int again = ::socket(AF_INET, SOCK_DGRAM, 0);
        BOOST_TEST_REQUIRE(again >= 0);
        int bound = ::bind(again, &address.u.sa, address.len);
        int err = errno;
        BOOST_TEST(bound == 0, "the port is still bound: " << std::strerror(err));
        ::close(again);
    });
}

BOOST_AUTO_TEST_CASE(sends_wait_for_the_end_of_the_round_then_arrive_in_order) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        open_ring(ring);
        GatewaySocket first(ring), second(ring);
        Peer phone;
        send_through(ring, first.fd(), phone.address, "one");
        send_through(ring, second.fd(), phone.address, "two");
        send_through(ring, first.fd(), phone.address, "three");
        BOOST_TEST(phone.receives_nothing_for(50));  // queued, not sent: no round has ended

        run_loop_for(50);

        BOOST_TEST((phone.receive() == bytes_of("one")));
        BOOST_TEST((phone.receive() == bytes_of("two")));
        BOOST_TEST((phone.receive() == bytes_of("three")));
        BOOST_TEST(ring.counters().requests == 3u);
        BOOST_TEST(ring.counters().submissions == 1u);
        BOOST_TEST(ring.counters().send_failed == 0u);
    });
}

BOOST_AUTO_TEST_CASE(what_was_queued_for_a_closed_socket_does_not_run_on_its_descriptors_next_owner) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        open_ring(ring);
        Peer phone;
        auto closing = std::make_unique<GatewaySocket>(ring);
        GatewaySocket staying(ring);
        phone.send_to(closing->address, bytes_of("for the closed socket"));
        ring.read_later(closing->reader);
        send_through(ring, closing->fd(), phone.address, "from the closed socket");
        send_through(ring, staying.fd(), phone.address, "from the open socket");
        int number = closing->fd();
        ring.forget(number);
        closing.reset();
        GatewaySocket next_owner(ring);  // takes the lowest free descriptor number: the one just freed
        BOOST_TEST_REQUIRE(next_owner.fd() == number);
        phone.send_to(next_owner.address, bytes_of("for the new socket"));

        run_loop_for(100);

        BOOST_TEST((phone.receive() == bytes_of("from the open socket")));
        BOOST_TEST(phone.receives_nothing_for(300));  // the closed socket's send did not go from the new one
        BOOST_TEST_REQUIRE(next_owner.received.size() == 1u);  // nor did its read take the new one's datagram
        BOOST_TEST((next_owner.received[0] == bytes_of("for the new socket")));
    });
}

BOOST_AUTO_TEST_CASE(a_round_larger_than_the_ring_flushes_early_and_loses_nothing) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        open_ring(ring);
        GatewaySocket gateway(ring);
        const unsigned count = PhoneRing::kSlots + 10;
        auto phones = peers_for(count);
        for (unsigned i = 0; i < count; ++i)
            send_through(ring, gateway.fd(), phones[i % phones.size()]->address, std::to_string(i));

        run_loop_for(50);

        std::vector<Bytes> arrived = receive_round_robin(phones, count);
        for (unsigned i = 0; i < count; ++i) BOOST_TEST((arrived[i] == bytes_of(std::to_string(i))));
        BOOST_TEST(ring.counters().early_flushes == 1u);
        BOOST_TEST(ring.counters().requests == count);
    });
}

BOOST_AUTO_TEST_CASE(sends_queued_while_a_round_is_handed_out_all_arrive) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        open_ring(ring);
        GatewaySocket gateway(ring);
        const unsigned count = PhoneRing::kSlots + 1;  // one more than the other bank holds
        auto phones = peers_for(count);
        gateway.on_datagram = [&](const Bytes &) {
            for (unsigned i = 0; i < count; ++i)
                send_through(ring, gateway.fd(), phones[i % phones.size()]->address, std::to_string(i));
        };
        phones[0]->send_to(gateway.address, bytes_of("go"));

        run_loop_for(100);

        std::vector<Bytes> arrived = receive_round_robin(phones, count);
        for (unsigned i = 0; i < count; ++i) BOOST_TEST((arrived[i] == bytes_of(std::to_string(i))));
        BOOST_TEST(ring.counters().early_flushes == 1u);  // the bank filled while the other was handed out
        BOOST_TEST(ring.counters().send_failed == 0u);
    });
}

BOOST_AUTO_TEST_CASE(a_send_the_kernel_refuses_is_counted_and_the_rest_of_the_round_goes) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        open_ring(ring);
        GatewaySocket gateway(ring);
        Peer phone;
        struct sa nowhere;
        sa_set_str(&nowhere, "127.0.0.1", 0);  // port 0: the kernel answers EINVAL
        send_through(ring, gateway.fd(), nowhere, "lost");
        send_through(ring, gateway.fd(), phone.address, "kept");

        run_loop_for(50);

        BOOST_TEST((phone.receive() == bytes_of("kept")));
        BOOST_TEST(ring.counters().send_failed == 1u);
    });
}

struct NoEvents final : sylk::media::PhoneTransport::Events {
    void phone_rtp(std::size_t, struct mbuf *) override {}
    void phone_rtcp(std::size_t, struct mbuf *) override {}
};

BOOST_AUTO_TEST_CASE(a_phone_transport_that_goes_takes_what_it_queued_with_it) {
    on_libre_thread([] {
        RoundEnd round_end;
        PhoneRing ring(round_end);
        open_ring(ring);
        NoEvents events;
        Peer phone;
        struct sa local;
        sa_set_str(&local, "127.0.0.1", 0);
        std::unique_ptr<sylk::media::PhoneTransport> transport;
        for (std::uint16_t port = 46000; port < 46200 && !transport; port += 2) {  // a free even/odd pair
            auto candidate = std::make_unique<sylk::media::PhoneTransport>(events, 0, &ring);
            if (candidate->listen(local, port) == 0) transport = std::move(candidate);
        }
        BOOST_TEST_REQUIRE(static_cast<bool>(transport));
        std::uint16_t phone_port = sa_port(&phone.address);
        BOOST_TEST_REQUIRE(transport->set_phone({"127.0.0.1", phone_port}) == 0);
        Bytes rtp = bytes_of("an RTP packet queued for the phone");
        struct mbuf packet {};
        packet.buf = rtp.data();
        packet.size = packet.end = rtp.size();
        transport->send_rtp(&packet);  // queued for the end of the round

        transport.reset();  // its RTP and RTCP sockets close
        GatewaySocket next_owner(ring);  // likely on the RTP socket's descriptor number

        run_loop_for(100);

        BOOST_TEST(phone.receives_nothing_for(300));  // nothing went out on the next owner's socket
        BOOST_TEST(ring.counters().requests == 0u);   // nor at all
    });
}

BOOST_AUTO_TEST_SUITE_END()
