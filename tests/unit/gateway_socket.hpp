// For unit tests of the phone side: one phone-side socket of the gateway on a real libre
// loop, libre's udp_sock read through a PhoneRing, recording what it reads.
#pragma once

#include "media/phone_ring.hpp"
#include "media/re_ptr.hpp"
#include "media/socket_reader.hpp"

#include "udp_peer.hpp"

#include <boost/test/unit_test.hpp>

#include <functional>
#include <vector>

#include <re.h>

namespace sylk::testing {

// One phone-side socket of the gateway: libre's udp_sock, read through the ring.
struct GatewaySocket {
    media::RePtr<struct udp_sock> socket;
    media::SocketReader reader;
    struct sa address {};
    std::vector<Bytes> received;
    std::vector<struct sa> sources;  // where each came from
    std::function<void(const Bytes &)> on_datagram;  // besides recording it

    explicit GatewaySocket(media::PhoneRing &ring) : reader(&GatewaySocket::on_read, this, &ring) {
        struct sa local;
        sa_set_str(&local, "127.0.0.1", 0);
        struct udp_sock *opened = nullptr;
        BOOST_TEST_REQUIRE(udp_listen(&opened, &local, nullptr, nullptr) == 0);
        socket.reset(opened);
        BOOST_TEST_REQUIRE(reader.attach(opened, AF_INET) == 0);
        BOOST_TEST_REQUIRE(udp_local_get(opened, &address) == 0);
    }
    int fd() const { return reader.fd(); }

    static void on_read(void *self, struct mbuf &datagram, const struct sa &source) {
        auto *me = static_cast<GatewaySocket *>(self);
        me->sources.push_back(source);
        me->received.emplace_back(mbuf_buf(&datagram), mbuf_buf(&datagram) + mbuf_get_left(&datagram));
        if (me->on_datagram) me->on_datagram(me->received.back());
    }
};

}  // namespace sylk::testing
