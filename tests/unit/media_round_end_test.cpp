// RoundEnd, the end of a media worker's loop round, on a real libre loop: a stage asked
// for while an earlier one runs (the browser port, by the phone ring's relayed reads)
// runs before the loop goes round again, also when a millisecond began meanwhile (libre
// would leave a timer started then to the next round, and with nothing to read, to
// epoll_wait's 1 ms timeout); and end to end, a phone datagram read through the ring
// and sent on through the browser port reaches the browser within that round.
#include "media/browser_port.hpp"
#include "media/phone_ring.hpp"
#include "media/round_end.hpp"

#include "gateway_socket.hpp"
#include "libre_thread.hpp"
#include "round_marker.hpp"
#include "udp_peer.hpp"

#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <re.h>

using sylk::media::BrowserPort;
using sylk::media::PhoneRing;
using sylk::media::RoundEnd;
using sylk::testing::Bytes;
using sylk::testing::GatewaySocket;
using sylk::testing::on_libre_thread;
using sylk::testing::Peer;
using sylk::testing::RoundMarker;

namespace {

// Returns once libre's millisecond clock has moved on: what a long round does.
void wait_for_the_next_millisecond() {
    std::uint64_t start = tmr_jiffies();
    while (tmr_jiffies() == start) {
    }
}

class RecordingStage final : public RoundEnd::Flusher {
public:
    RecordingStage(std::vector<std::string> &events, std::string name, std::function<void()> then = {})
        : events_(events), name_(std::move(name)), then_(std::move(then)) {}
    void end_round() override {
        events_.push_back(name_);
        if (then_) then_();
    }

private:
    std::vector<std::string> &events_;
    std::string name_;
    std::function<void()> then_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(round_end)

BOOST_AUTO_TEST_CASE(a_stage_asked_for_while_an_earlier_one_runs_runs_before_the_next_round) {
    on_libre_thread([] {
        std::vector<std::string> events;
        RoundEnd round_end;
        RecordingStage browser(events, "browser side");
        RecordingStage phone(events, "phone side", [&] {
            wait_for_the_next_millisecond();
            round_end.request(RoundEnd::Stage::browser_side);
        });
        round_end.attach(RoundEnd::Stage::phone_side, phone);
        round_end.attach(RoundEnd::Stage::browser_side, browser);
        {
            RoundMarker marker([&](unsigned round) {
                events.push_back("round");
                if (round == 0) round_end.request(RoundEnd::Stage::phone_side);
                if (round == 3) re_cancel();
            });
            re_main(nullptr);
        }

        std::vector<std::string> expected{"round", "phone side", "browser side", "round", "round", "round"};
        BOOST_TEST(events == expected, boost::test_tools::per_element());
        // Nothing asked for: nothing runs.
        events.clear();
        RoundMarker quiet([&](unsigned round) {
            if (round == 2) re_cancel();
        });
        re_main(nullptr);
        BOOST_TEST(events.empty());
        round_end.detach(RoundEnd::Stage::phone_side, phone);
        round_end.detach(RoundEnd::Stage::browser_side, browser);
    });
}

BOOST_AUTO_TEST_CASE(a_phone_datagram_read_through_the_ring_reaches_the_browser_in_the_same_round) {
    on_libre_thread([] {
        RoundEnd round_end;
        BrowserPort browser_port(round_end);
        struct sa any;
        sa_set_str(&any, "127.0.0.1", 0);
        BOOST_TEST_REQUIRE(browser_port.listen(any) == 0);
        PhoneRing ring(round_end);
        int err = ring.open();
        BOOST_TEST_REQUIRE(err == 0, "io_uring cannot be set up here: " << std::strerror(err));

        Peer browser, phone;
        // The gateway's phone-side socket, read through the ring; what it reads goes on to
        // the browser, after a round long enough for libre's clock to move on.
        GatewaySocket gateway_side(ring);
        bool relayed = false;
        gateway_side.on_datagram = [&](const Bytes &datagram) {
            wait_for_the_next_millisecond();
            Bytes copy = datagram;
            struct mbuf view {};
            view.buf = copy.data();
            view.size = view.end = copy.size();
            browser_port.send(browser.address, view);
            relayed = true;
        };

        int rounds_after_relaying = -1;  // how many rounds began after the relay before it arrived
        RoundMarker marker([&](unsigned round) {
            if (round == 0) phone.send_to(gateway_side.address, Bytes{0x80, 0, 1, 2});
            if (relayed) {
                ++rounds_after_relaying;
                pollfd waiting{browser.fd, POLLIN, 0};
                if (::poll(&waiting, 1, 0) == 1) re_cancel();
            }
            if (round == 100000) re_cancel();  // never this far: the test fails below
        });
        re_main(nullptr);

        BOOST_TEST_REQUIRE(relayed);
        // Already there when the next round began.
        BOOST_TEST(rounds_after_relaying == 0);
        BOOST_TEST((browser.receive() == Bytes{0x80, 0, 1, 2}));
    });
}

BOOST_AUTO_TEST_SUITE_END()
