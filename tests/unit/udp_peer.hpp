// For unit tests of the media sockets: a plain UDP socket on 127.0.0.1 (or another
// loopback address) at the other end
// (a browser, a phone), blocking with a 2 s limit, so that a datagram that does not come
// fails the test instead of hanging it.
#pragma once

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include <re.h>

namespace sylk::testing {

using Bytes = std::vector<std::uint8_t>;

// libre's address for host:port; fails the test when `host` is not an IP address.
inline struct sa socket_address(const char *host, std::uint16_t port) {
    struct sa out;
    BOOST_TEST_REQUIRE(sa_set_str(&out, host, port) == 0);
    return out;
}

struct Peer {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    struct sa address {};
    // `host`: another loopback address (127.0.0.2, ...) makes another host as far as the
    // gateway can tell (loopback is a whole /8).
    explicit Peer(std::uint32_t host = INADDR_LOOPBACK) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_addr.s_addr = htonl(host);
        BOOST_TEST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&local), sizeof local) == 0);
        socklen_t size = sizeof local;
        BOOST_TEST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &size) == 0);
        sa_set_sa(&address, reinterpret_cast<sockaddr *>(&local));
        timeval wait{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    }
    ~Peer() { ::close(fd); }
    void send_to(const struct sa &to, const Bytes &bytes) const {
        BOOST_TEST_REQUIRE(::sendto(fd, bytes.data(), bytes.size(), 0, &to.u.sa, to.len) ==
                           static_cast<ssize_t>(bytes.size()));
    }
    // True when no datagram arrives for `ms` milliseconds.
    bool receives_nothing_for(int ms) const {
        pollfd waiting{fd, POLLIN, 0};
        return ::poll(&waiting, 1, ms) == 0;
    }
    Bytes receive() const {
        Bytes buffer(4096);
        ssize_t size = ::recv(fd, buffer.data(), buffer.size(), 0);
        BOOST_TEST_REQUIRE(size >= 0);  // within 2 s
        buffer.resize(static_cast<std::size_t>(size));
        return buffer;
    }
};

}  // namespace sylk::testing
