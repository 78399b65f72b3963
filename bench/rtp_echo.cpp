// The phones' media for bench/call-bench.py: one UDP socket that sends every datagram
// back to where it came from, read with recvmmsg and answered with sendmmsg, as many at
// a time as are waiting (up to kBatch). sipp keeps the phones' signalling; its answers
// point their media here (bench/sipp_uas_external_echo.xml). sipp's own -rtp_echo costs
// one recvfrom and one sendto per packet on one socket and, at 1,000 calls, took 40 % of
// the core that the browsers' side (call_load) needs too, so that the echo, not the
// relay under test, set the loss and the latency measured.
//
// Each RTP packet goes back with two times written into its payload, after the
// sender's own send time (bench/packet_times.hpp): when the kernel received it here
// (SO_TIMESTAMPNS, which on loopback is when the relay sent it) and when it is sent back. call_load
// then has each direction's one-way latency on its own, from kernel receive times at
// both ends, without this program's or its own scheduling in them.
//
//   rtp_echo IP PORT   -> prints READY, echoes until stdin closes; then prints
//                         ECHOED n SEND_FAILED m
#include "packet_times.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

using sylk::bench::kPhoneReceivedAt;
using sylk::bench::kPhoneSentAt;
using sylk::bench::kTimesEnd;

constexpr unsigned kBatch = 64;
constexpr std::size_t kDatagram = 2048;
constexpr int kSocketBuffer = 4 << 20;  // as the gateway's browser port; capped by rmem_max/wmem_max
struct Batch {
    mmsghdr messages[kBatch]{};
    iovec payloads[kBatch]{};
    sockaddr_in sources[kBatch]{};
    std::uint8_t data[kBatch][kDatagram];
    alignas(cmsghdr) std::uint8_t controls[kBatch][CMSG_SPACE(sizeof(timespec))];

    // Makes the headers ready for recvmmsg (which overwrites lengths and name lengths).
    void arm() {
        for (unsigned i = 0; i < kBatch; ++i) {
            payloads[i] = {data[i], kDatagram};
            messages[i].msg_hdr = {};
            messages[i].msg_hdr.msg_name = &sources[i];
            messages[i].msg_hdr.msg_namelen = sizeof sources[i];
            messages[i].msg_hdr.msg_iov = &payloads[i];
            messages[i].msg_hdr.msg_iovlen = 1;
            messages[i].msg_hdr.msg_control = controls[i];
            messages[i].msg_hdr.msg_controllen = sizeof controls[i];
        }
    }
    // After recvmmsg: each message goes back out with the length it came in with, and an
    // RTP packet long enough with its receive time and `echoed_ns` in its payload.
    void turn_around(unsigned count, std::uint64_t echoed_ns) {
        for (unsigned i = 0; i < count; ++i) {
            msghdr &message = messages[i].msg_hdr;
            std::size_t size = messages[i].msg_len;
            std::uint64_t received = sylk::bench::kernel_receive_ns(message);
            bool rtp = size >= kTimesEnd && (data[i][0] & 0xc0) == 0x80 && !(data[i][1] >= 192 && data[i][1] <= 223);
            if (rtp && received) {
                std::memcpy(data[i] + kPhoneReceivedAt, &received, sizeof received);
                std::memcpy(data[i] + kPhoneSentAt, &echoed_ns, sizeof echoed_ns);
            }
            payloads[i].iov_len = size;
            message.msg_control = nullptr;  // nothing to send along
            message.msg_controllen = 0;
        }
    }
};

int bound_socket(const char *ip, std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int size = kSocketBuffer;
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
        ::close(fd);
        return -1;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip, &address.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: rtp_echo IP PORT\n");
        return 2;
    }
    int fd = bound_socket(argv[1], static_cast<std::uint16_t>(std::atoi(argv[2])));
    if (fd < 0) {
        std::printf("FAILED bind %s:%s: %s\n", argv[1], argv[2], std::strerror(errno));
        return 1;
    }
    std::printf("READY\n");
    std::fflush(stdout);

    static Batch batch;
    std::uint64_t echoed = 0, send_failed = 0;
    pollfd watched[2] = {{fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    for (;;) {
        if (::poll(watched, 2, -1) < 0 && errno != EINTR) break;
        if (watched[1].revents) break;  // stdin closed (or a line): stop
        for (;;) {  // drain what is waiting, a batch at a time
            batch.arm();
            int count = ::recvmmsg(fd, batch.messages, kBatch, MSG_DONTWAIT, nullptr);
            if (count <= 0) break;
            batch.turn_around(static_cast<unsigned>(count), sylk::bench::realtime_ns());
            int sent = 0;
            while (sent < count) {
                int n = ::sendmmsg(fd, batch.messages + sent, static_cast<unsigned>(count - sent), 0);
                if (n <= 0) {  // a refused datagram (its receiver gone): count it, go on with the next
                    ++send_failed;
                    ++sent;
                    continue;
                }
                sent += n;
                echoed += static_cast<unsigned>(n);
            }
            if (static_cast<unsigned>(count) < kBatch) break;
        }
    }
    std::printf("ECHOED %llu SEND_FAILED %llu\n", static_cast<unsigned long long>(echoed),
                static_cast<unsigned long long>(send_failed));
    ::close(fd);
    return 0;
}
