// BrowserPort, the socket every session of a media worker shares, on a real libre loop
// with plain UDP sockets as browsers: STUN goes to the session of its USERNAME's ufrag,
// RTP to the session its source address is routed to and nowhere before that, routes
// move and go with detach, what is sent arrives whole and in order even past one
// batch, a backlog of several batches is read in one loop round, and what cannot be
// delivered is counted.
#include "media/browser_port.hpp"

#include "libre_thread.hpp"
#include "round_marker.hpp"
#include "udp_peer.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <re.h>

using sylk::media::BrowserPort;
using sylk::media::RePtr;

using sylk::testing::Bytes;
using sylk::testing::on_libre_thread;
using sylk::testing::Peer;
using sylk::testing::RoundMarker;

namespace {

struct RecordingClient final : BrowserPort::Client {
    std::vector<Bytes> stun, media;
    std::vector<struct sa> offered;
    void port_stun(const struct sa &, struct mbuf *message) override {
        stun.emplace_back(mbuf_buf(message), mbuf_buf(message) + mbuf_get_left(message));
    }
    void port_dtls_offered(const struct sa &peer) override { offered.push_back(peer); }
    void port_media(const struct sa &, struct mbuf *packet) override {
        media.emplace_back(mbuf_buf(packet), mbuf_buf(packet) + mbuf_get_left(packet));
    }
};

Bytes binding_request(const std::string &username) {
    RePtr<struct mbuf> mb(mbuf_alloc(256));
    std::uint8_t tid[STUN_TID_SIZE] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    int err = username.empty()
                  ? stun_msg_encode(mb.get(), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid, nullptr, nullptr, 0, true,
                                    0x20, 0)
                  : stun_msg_encode(mb.get(), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid, nullptr, nullptr, 0, true,
                                    0x20, 1, STUN_ATTR_USERNAME, username.c_str());
    BOOST_TEST_REQUIRE(err == 0);
    return Bytes(mb->buf, mb->buf + mb->end);
}

Bytes rtp(std::uint8_t marker, std::size_t size = 172) {
    Bytes packet(size, marker);
    packet[0] = 0x80;
    packet[1] = 0;
    return packet;
}


// Runs the loop until `done` holds (checked every 5 ms) or `limit_ms` have passed.
struct LoopWatch {
    const std::function<bool()> &done;
    std::uint64_t deadline;
    struct tmr timer {};
    static void check(void *self) {
        auto *watch = static_cast<LoopWatch *>(self);
        if (watch->done() || tmr_jiffies() > watch->deadline)
            re_cancel();
        else
            tmr_start(&watch->timer, 5, &LoopWatch::check, watch);
    }
};

void run_until(const std::function<bool()> &done, std::uint64_t limit_ms = 2000) {
    LoopWatch watch{done, tmr_jiffies() + limit_ms};
    tmr_init(&watch.timer);
    tmr_start(&watch.timer, 5, &LoopWatch::check, &watch);
    re_main(nullptr);
    tmr_cancel(&watch.timer);
}

// A BrowserPort listening on a port of 127.0.0.1 that nothing held a moment ago.
struct ListeningPort {
    sylk::media::RoundEnd round_end;
    BrowserPort port{round_end};
    struct sa address {};
    ListeningPort() {
        {
            Peer probe;  // closed again before the port binds its number
            sa_set_str(&address, "127.0.0.1", sa_port(&probe.address));
        }
        BOOST_TEST_REQUIRE(port.listen(address) == 0);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(media_browser_port)

BOOST_AUTO_TEST_CASE(the_local_ufrag_is_the_part_of_username_before_the_colon) {
    libre_init();
    auto request = binding_request("gw12:br34");
    BOOST_TEST(sylk::media::stun_local_ufrag(request.data(), request.size()) == "gw12");
    auto without = binding_request("");
    BOOST_TEST(sylk::media::stun_local_ufrag(without.data(), without.size()).empty());
    auto no_colon = binding_request("gw12br34");
    BOOST_TEST(sylk::media::stun_local_ufrag(no_colon.data(), no_colon.size()).empty());
    // Cut short anywhere (the header's length then points past the end): nothing.
    for (std::size_t size = 0; size < request.size(); ++size)
        BOOST_TEST(sylk::media::stun_local_ufrag(request.data(), size).empty());
    // An attribute whose length runs past the message: nothing.
    auto broken = request;
    broken[22] = 0xff;  // the first attribute's length
    BOOST_TEST(sylk::media::stun_local_ufrag(broken.data(), broken.size()).empty());
}

BOOST_AUTO_TEST_CASE(stun_goes_to_the_session_of_its_ufrag_and_media_only_to_a_routed_one) {
    on_libre_thread([] {
        ListeningPort listening;
        auto &browser_port = listening.port;
        const auto &to = listening.address;
        RecordingClient first, second;
        BOOST_TEST_REQUIRE(browser_port.attach("aaaa", first) == 0);
        BOOST_TEST_REQUIRE(browser_port.attach("bbbb", second) == 0);
        BOOST_TEST(browser_port.attach("aaaa", second) == EEXIST);
        Peer browser;

        browser.send_to(to, binding_request("aaaa:x"));
        browser.send_to(to, binding_request("bbbb:x"));
        browser.send_to(to, binding_request("bbbb:y"));
        browser.send_to(to, binding_request("cccc:x"));
        browser.send_to(to, rtp(1));  // not routed yet
        run_until([&] { return browser_port.counters().unrouted == 1; });
        BOOST_TEST(first.stun.size() == 1u);
        BOOST_TEST(second.stun.size() == 2u);
        BOOST_TEST(browser_port.counters().unknown_ufrag == 1u);
        BOOST_TEST(first.stun.at(0) == binding_request("aaaa:x"));
        BOOST_TEST(first.media.empty());
        BOOST_TEST(second.media.empty());

        browser_port.route(browser.address, first);
        browser.send_to(to, rtp(2));
        run_until([&] { return first.media.size() == 1; });
        BOOST_TEST_REQUIRE(first.media.size() == 1u);
        BOOST_TEST(first.media[0] == rtp(2));

        // The same address, checked by another session, is that session's now.
        browser_port.route(browser.address, second);
        browser.send_to(to, rtp(3));
        run_until([&] { return second.media.size() == 1; });
        BOOST_TEST(second.media.size() == 1u);
        BOOST_TEST(first.media.size() == 1u);

        // Gone with detach: its ufrag and its routes; nothing reaches it any more.
        browser_port.unroute(browser.address, first);  // not first's: changes nothing
        browser_port.detach("bbbb", second);
        browser.send_to(to, rtp(4));
        browser.send_to(to, binding_request("bbbb:x"));
        run_until([&] { return browser_port.counters().unrouted == 2 && browser_port.counters().unknown_ufrag == 2; });
        BOOST_TEST(browser_port.counters().unrouted == 2u);
        BOOST_TEST(browser_port.counters().unknown_ufrag == 2u);
        BOOST_TEST(second.media.size() == 1u);
        BOOST_TEST(second.stun.size() == 2u);
        // Its ufrag is free for a new session.
        BOOST_TEST(browser_port.attach("bbbb", first) == 0);

        // Longer than kLongest, or in no RFC 7983 range: counted, not delivered; the
        // longest taken arrives whole.
        browser_port.route(browser.address, first);
        browser.send_to(to, rtp(5, BrowserPort::kLongest + 1));
        browser.send_to(to, Bytes{70, 1, 2, 3});
        browser.send_to(to, rtp(6, BrowserPort::kLongest));
        run_until([&] { return first.media.size() == 2; });
        BOOST_TEST(browser_port.counters().truncated == 1u);
        BOOST_TEST(browser_port.counters().not_demultiplexed == 1u);
        BOOST_TEST_REQUIRE(first.media.size() == 2u);
        BOOST_TEST((first.media[1] == rtp(6, BrowserPort::kLongest)));
    });
}

BOOST_AUTO_TEST_CASE(what_is_sent_arrives_whole_and_in_order_past_one_batch) {
    on_libre_thread([] {
        ListeningPort listening;
        auto &browser_port = listening.port;
        Peer one, other;
        const std::size_t count = 3 * BrowserPort::kBatch + 5;
        for (std::size_t i = 0; i < count; ++i) {
            auto packet = rtp(static_cast<std::uint8_t>(i), 100 + i);
            struct mbuf view {};
            view.buf = packet.data();
            view.size = view.end = packet.size();
            browser_port.send(i % 2 ? other.address : one.address, view);
            packet.assign(packet.size(), 0);  // copied: the caller's buffer is free again
        }
        run_until([] { return false; }, 100);  // the flush timer runs in the first round
        for (std::size_t i = 0; i < count; ++i) {
            auto got = (i % 2 ? other : one).receive();
            BOOST_TEST_REQUIRE(got.size() == 100 + i);
            BOOST_TEST((got == rtp(static_cast<std::uint8_t>(i), 100 + i)));
        }
        BOOST_TEST(browser_port.counters().send_failed == 0u);
    });
}

BOOST_AUTO_TEST_CASE(a_backlog_of_many_batches_is_read_in_one_round) {
    // After a stalled round every ready phone socket is read in the next one; the
    // browsers' side must take as much, or its backlog drains a few batches a round.
    on_libre_thread([] {
        ListeningPort listening;
        auto &browser_port = listening.port;
        RecordingClient client;
        Peer browser;
        browser_port.route(browser.address, client);
        // Small datagrams: the backlog fits in a default receive buffer too.
        const std::size_t count = 10 * BrowserPort::kBatch;  // 320: about 250 KB of receive buffer
        for (std::size_t i = 0; i < count; ++i) browser.send_to(listening.address, rtp(static_cast<std::uint8_t>(i), 40));

        // Where a round's handlers run in order is the kernel's choice: the first round
        // that sees anything read, before or after the port's handler, sees all of it.
        std::size_t first_seen = 0;
        RoundMarker marker([&](unsigned round) {
            first_seen = client.media.size();
            if (first_seen || round == 1000) re_cancel();
        });
        re_main(nullptr);

        BOOST_TEST(first_seen == count);
        for (std::size_t i = 0; i < client.media.size(); ++i)
            BOOST_TEST_REQUIRE((client.media[i] == rtp(static_cast<std::uint8_t>(i), 40)));
    });
}

BOOST_AUTO_TEST_SUITE_END()
