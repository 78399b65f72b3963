// The floor for bench/call-bench.py: the least a relay of these calls can cost on this
// machine. Per call two UDP sockets, as the gateway has (one facing the browser, one the
// phone); whatever arrives on one is sent on from the other with one recvfrom and one
// sendto, woken by epoll: no SRTP, no parsing, no allocation. Browser-facing sockets
// are bound to FIRST_PORT + i; each sends back to the last address it heard from.
//
//   udp_relay N FIRST_PORT PHONE_IP PHONE_PORT   -> prints READY, relays until stdin closes
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

struct Leg {
    int fd = -1;
    int other = -1;          // the socket packets received here leave from
    sockaddr_in to_here{};   // where packets sent from this socket go
    bool known = false;      // browser side: heard from the browser yet
    bool learns = false;     // browser side learns its peer's address from what it receives
};

int bound_socket(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: udp_relay N FIRST_PORT PHONE_IP PHONE_PORT\n");
        return 2;
    }
    int calls = std::atoi(argv[1]);
    int first_port = std::atoi(argv[2]);
    sockaddr_in phone{};
    phone.sin_family = AF_INET;
    phone.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[4])));
    if (inet_pton(AF_INET, argv[3], &phone.sin_addr) != 1) return 2;

    int epoll = epoll_create1(0);
    std::vector<Leg> legs(static_cast<std::size_t>(2 * calls));
    std::vector<Leg *> by_fd;
    for (int i = 0; i < calls; ++i) {
        Leg &browser = legs[2 * i], &towards_phone = legs[2 * i + 1];
        browser.fd = bound_socket(static_cast<std::uint16_t>(first_port + i));
        towards_phone.fd = bound_socket(0);
        if (browser.fd < 0 || towards_phone.fd < 0) {
            std::printf("FAILED cannot bind port %d: %s\n", first_port + i, std::strerror(errno));
            return 1;
        }
        browser.other = towards_phone.fd;
        browser.learns = true;
        towards_phone.other = browser.fd;
        towards_phone.to_here = phone;
        towards_phone.known = true;
        for (Leg *leg : {&browser, &towards_phone}) {
            if (by_fd.size() <= static_cast<std::size_t>(leg->fd)) by_fd.resize(leg->fd + 1, nullptr);
            by_fd[leg->fd] = leg;
            epoll_event event{};
            event.events = EPOLLIN;
            event.data.fd = leg->fd;
            epoll_ctl(epoll, EPOLL_CTL_ADD, leg->fd, &event);
        }
    }
    epoll_event input{};
    input.events = EPOLLIN;
    input.data.fd = STDIN_FILENO;
    epoll_ctl(epoll, EPOLL_CTL_ADD, STDIN_FILENO, &input);
    std::puts("READY");
    std::fflush(stdout);

    std::vector<epoll_event> events(256);
    char buffer[2048];
    for (;;) {
        int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
        for (int e = 0; e < ready; ++e) {
            int fd = events[e].data.fd;
            if (fd == STDIN_FILENO) {
                if (::read(STDIN_FILENO, buffer, sizeof buffer) <= 0) return 0;
                continue;
            }
            Leg &leg = *by_fd[fd];
            Leg &out = *by_fd[leg.other];
            sockaddr_in source{};
            socklen_t length = sizeof source;
            ssize_t size = ::recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr *>(&source), &length);
            if (size <= 0) continue;
            if (leg.learns) {
                leg.to_here = source;
                leg.known = true;
            }
            if (out.known)
                (void)::sendto(out.fd, buffer, static_cast<std::size_t>(size), 0,
                               reinterpret_cast<const sockaddr *>(&out.to_here), sizeof out.to_here);
        }
    }
}
