// MediaWorker on its own thread with real sockets on 127.0.0.1: a line added to an open
// session (video added mid-call) binds its pair of ports, and every pair, the added one
// too, goes back to the range when the session closes; ports added to a session that has
// already gone are released at once, not kept.
#include "media/media_worker.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

using namespace sylk::media;

namespace {

// Whether something holds UDP 127.0.0.1:port (our bind is refused).
bool port_is_bound(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool bound = ::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0;
    ::close(fd);
    return bound;
}

bool within_seconds(int seconds, const std::function<bool()> &condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

struct NoEvents : MediaListener {
    void media_event(const MediaEvent &) override {}
};

// A worker with its browser port taken from a range of 50 pairs.
struct Worker {
    RtpPortAllocator ports{43000, 43099, "127.0.0.1"};
    DtlsCertificate certificate = DtlsCertificate::generate();
    NoEvents listener;
    sylk::log::Logger logger{nullptr};
    std::uint16_t browser_port = ports.reserve(1)->front();
    MediaWorker worker{0, certificate, settings(), ports, listener, logger};

    Worker() { worker.start(); }
    ~Worker() { worker.stop(); }

    WorkerSettings settings() const {
        WorkerSettings settings;
        settings.bind_address = "127.0.0.1";
        settings.browser_port = browser_port;
        return settings;
    }

    // A session with one audio line on a pair of its own.
    MediaSessionSpec audio_session(MediaSessionId id) {
        MediaSessionSpec spec;
        spec.id = id;
        spec.ports.browser_port = browser_port;
        spec.ports.phone_ports = *ports.reserve(1);
        spec.local_ice_ufrag = "ufrag" + std::to_string(id);
        spec.local_ice_pwd = "a-password-of-22-chars";
        spec.lines.push_back({"audio", {{0, 0, 8000, false}}, spec.ports.phone_ports.front(), {}});
        return spec;
    }

    // The spec with a video line on a pair reserved for it.
    MediaSessionSpec with_video(MediaSessionSpec spec) {
        spec.added_phone_ports = *ports.reserve(1);
        spec.lines.push_back({"video", {{96, 96, 90000, false}}, spec.added_phone_ports.front(), {}});
        return spec;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(media_worker)

BOOST_AUTO_TEST_CASE(a_line_added_mid_call_binds_its_ports_and_every_pair_goes_back_at_close) {
    Worker w;
    std::size_t free_before = w.ports.free_pairs();
    auto spec = w.audio_session(1);
    std::uint16_t audio = spec.ports.phone_ports.front();
    w.worker.open(spec);
    BOOST_TEST_REQUIRE(within_seconds(5, [&] { return port_is_bound(audio) && port_is_bound(audio + 1); }));

    auto updated = w.with_video(spec);
    std::uint16_t video = updated.added_phone_ports.front();
    BOOST_TEST(!port_is_bound(video));
    w.worker.update(updated);
    BOOST_TEST(within_seconds(5, [&] { return port_is_bound(video) && port_is_bound(video + 1); }));
    BOOST_TEST(port_is_bound(audio));  // the first line stays as it was
    BOOST_TEST(w.ports.free_pairs() == free_before - 2);

    w.worker.close(1);
    BOOST_TEST(within_seconds(5, [&] { return w.ports.free_pairs() == free_before; }));
    BOOST_TEST(within_seconds(5, [&] { return !port_is_bound(audio) && !port_is_bound(video); }));
}

BOOST_AUTO_TEST_CASE(ports_added_to_a_session_already_gone_are_released_at_once) {
    Worker w;
    std::size_t free_before = w.ports.free_pairs();
    auto spec = w.audio_session(2);
    w.worker.open(spec);
    w.worker.close(2);
    BOOST_TEST_REQUIRE(within_seconds(5, [&] { return w.ports.free_pairs() == free_before; }));

    auto updated = w.with_video(spec);  // the update that was on its way
    BOOST_TEST(w.ports.free_pairs() == free_before - 1);
    w.worker.update(updated);
    BOOST_TEST(within_seconds(5, [&] { return w.ports.free_pairs() == free_before; }));
    BOOST_TEST(!port_is_bound(updated.added_phone_ports.front()));
}

BOOST_AUTO_TEST_SUITE_END()
