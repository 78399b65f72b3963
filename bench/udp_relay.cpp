// The floor for bench/call-bench.py: the least a relay of these calls can cost on this
// machine. Per call two UDP sockets (one facing the browser, one the phone); whatever
// arrives on one is sent on from the other with one recvfrom and one sendto, woken by
// epoll: no SRTP, no parsing, no allocation. Browser-facing sockets are bound to
// FIRST_PORT + i; each sends back to the last address it heard from. This was the
// gateway's layout before its BrowserPort.
//
// --shared: the way SFUs multiplex browsers on one port: one
// browser-facing socket for all calls, bound to FIRST_PORT, read with recvmmsg, each
// new source address given the next call, and packets to the browsers sent in batches
// with sendmmsg at the end of each epoll round. The phone side stays one socket per call.
// This was the gateway's layout before its PhoneRing.
//
// --uring: --shared, and the gateway's layout now: the phone sockets' reads and sends of
// one epoll round go to the kernel together, through io_uring.
//
//   udp_relay N FIRST_PORT PHONE_IP PHONE_PORT [--shared | --uring]
//     -> prints READY, relays until stdin closes
// With UDP_RELAY_WORK_NS=N in its environment (call-bench.py passes its own on), it also
// spins N ns per relayed packet: a floor as busy as a relay under test, to see whether a
// busier relay stands still more often on this machine (bench/delivery_gaps.hpp).
// With UDP_RELAY_STATE_KB=K, each call also has K KiB of state of its own, one cache line
// of each of its pages read and written per packet: a floor whose memory is touched the
// way a relay's per-call state is (SRTP contexts, sessions, sockets), to see whether
// memory alone makes a relay stand still more often here.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

// UDP_RELAY_WORK_NS: CPU spent per relayed packet, spinning (0: none).
const char *const work_setting = std::getenv("UDP_RELAY_WORK_NS");
const std::uint64_t work_ns = work_setting ? std::strtoull(work_setting, nullptr, 10) : 0;

std::uint64_t monotonic_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u + static_cast<std::uint64_t>(now.tv_nsec);
}

// UDP_RELAY_STATE_KB: per-call state touched per packet (0: none).
const char *const state_setting = std::getenv("UDP_RELAY_STATE_KB");
const std::size_t state_pages = state_setting ? std::strtoull(state_setting, nullptr, 10) / 4 : 0;
std::vector<std::uint8_t> call_state;  // state_pages pages per call, once sized

void touch_state(int call) {
    if (!state_pages || call < 0) return;
    std::uint8_t *first = call_state.data() + static_cast<std::size_t>(call) * state_pages * 4096;
    for (std::size_t page = 0; page < state_pages; ++page) ++first[page * 4096 + (call % 64) * 64];
}

void work_per_packet(int call) {
    touch_state(call);
    if (!work_ns) return;
    for (std::uint64_t end = monotonic_ns() + work_ns; monotonic_ns() < end;) {
    }
}

constexpr int kBatch = 64;
constexpr std::size_t kDatagram = 2048;

// What the relay itself failed to pass on, printed when stdin closes (LOST ...), so that
// the floor's loss is told apart from the peers'.
struct Lost {
    unsigned long send_failed = 0;      // a send the kernel refused (sendto, sendmmsg or the ring)
    unsigned long unknown_source = 0;   // a datagram from more sources than calls
    int last_error = 0;
} lost;

struct Leg {
    int fd = -1;
    int other = -1;          // the socket packets received here leave from
    sockaddr_in to_here{};   // where packets sent from this socket go
    bool known = false;      // browser side: heard from the browser yet
    bool learns = false;     // browser side learns its peer's address from what it receives
    int call = -1;
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

std::uint64_t key_of(const sockaddr_in &address) {
    return std::uint64_t(address.sin_addr.s_addr) << 16 | address.sin_port;
}

// The browser side of --shared: one socket, batched both ways.
struct SharedPort {
    int fd = -1;
    std::unordered_map<std::uint64_t, int> call_of_source;
    std::vector<sockaddr_in> browser_of_call;
    int next_call = 0;
    // Receive batch.
    char in[kBatch][kDatagram];
    mmsghdr in_headers[kBatch];
    iovec in_vectors[kBatch];
    sockaddr_in in_sources[kBatch];
    // Send batch.
    char out[kBatch][kDatagram];
    mmsghdr out_headers[kBatch];
    iovec out_vectors[kBatch];
    sockaddr_in out_destinations[kBatch];
    int queued = 0;

    void queue(int call, const char *data, std::size_t size) {
        if (queued == kBatch) flush();
        std::memcpy(out[queued], data, size);
        out_vectors[queued] = {out[queued], size};
        out_destinations[queued] = browser_of_call[call];
        std::memset(&out_headers[queued], 0, sizeof out_headers[queued]);
        out_headers[queued].msg_hdr.msg_iov = &out_vectors[queued];
        out_headers[queued].msg_hdr.msg_iovlen = 1;
        out_headers[queued].msg_hdr.msg_name = &out_destinations[queued];
        out_headers[queued].msg_hdr.msg_namelen = sizeof out_destinations[queued];
        ++queued;
    }
    void flush() {
        int sent = 0;
        while (sent < queued) {
            int n = ::sendmmsg(fd, out_headers + sent, static_cast<unsigned>(queued - sent), 0);
            if (n <= 0) {  // a full buffer: the rest is lost, as a relay's would be
                lost.send_failed += static_cast<unsigned long>(queued - sent);
                lost.last_error = errno;
                break;
            }
            sent += n;
        }
        queued = 0;
    }
};

// --uring: the phone side's datagrams of one epoll round go through one io_uring_enter:
// a recvmsg for each phone socket epoll found readable, a sendmsg for each packet
// towards a phone, all submitted at once and completed before the round ends.
struct PhoneRing {
    static constexpr unsigned kSlots = 1024;
    io_uring ring{};
    struct Slot {
        msghdr header{};
        iovec vector{};
        sockaddr_in address{};
        char data[kDatagram];
        int call = -1;  // a receive: whose socket; -1: a send
    };
    Slot *slots = new Slot[kSlots];
    unsigned used = 0;

    bool init() { return io_uring_queue_init(kSlots, &ring, 0) == 0; }
    template <typename Received>
    void send(int fd, const char *data, std::size_t size, const sockaddr_in &to, Received &&received) {
        if (used == kSlots) run(received);
        Slot &slot = slots[used];
        std::memcpy(slot.data, data, size);
        slot.vector = {slot.data, size};
        slot.address = to;
        slot.header = {};
        slot.header.msg_name = &slot.address;
        slot.header.msg_namelen = sizeof slot.address;
        slot.header.msg_iov = &slot.vector;
        slot.header.msg_iovlen = 1;
        slot.call = -1;
        io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        io_uring_prep_sendmsg(sqe, fd, &slot.header, 0);
        io_uring_sqe_set_data64(sqe, used++);
    }
    template <typename Received>
    void receive(int fd, int call, Received &&received) {
        if (used == kSlots) run(received);
        Slot &slot = slots[used];
        slot.vector = {slot.data, kDatagram};
        slot.header = {};
        slot.header.msg_iov = &slot.vector;
        slot.header.msg_iovlen = 1;
        slot.call = call;
        io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        io_uring_prep_recvmsg(sqe, fd, &slot.header, MSG_DONTWAIT);
        io_uring_sqe_set_data64(sqe, used++);
    }
    template <typename Received>
    void run(Received &&received) {
        if (!used) return;
        io_uring_submit_and_wait(&ring, used);
        unsigned head, seen = 0;
        io_uring_cqe *cqe;
        io_uring_for_each_cqe(&ring, head, cqe) {
            Slot &slot = slots[cqe->user_data];
            if (slot.call >= 0 && cqe->res > 0) received(slot.call, slot.data, static_cast<std::size_t>(cqe->res));
            if (slot.call < 0 && cqe->res < 0) {
                ++lost.send_failed;
                lost.last_error = -cqe->res;
            }
            ++seen;
        }
        io_uring_cq_advance(&ring, seen);
        used = 0;
    }
};

}  // namespace

int main(int argc, char **argv) {
    bool uring = argc == 6 && std::string(argv[5]) == "--uring";
    bool shared = argc == 6 && (std::string(argv[5]) == "--shared" || uring);
    if (argc != 5 && !shared) {
        std::fprintf(stderr, "usage: udp_relay N FIRST_PORT PHONE_IP PHONE_PORT [--shared | --uring]\n");
        return 2;
    }
    int calls = std::atoi(argv[1]);
    int first_port = std::atoi(argv[2]);
    sockaddr_in phone{};
    phone.sin_family = AF_INET;
    phone.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[4])));
    if (inet_pton(AF_INET, argv[3], &phone.sin_addr) != 1) return 2;

    int epoll = epoll_create1(0);
    auto watch = [&](int fd) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = fd;
        epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
    };
    std::vector<Leg> legs(static_cast<std::size_t>(2 * calls));
    std::vector<Leg *> by_fd;
    auto index = [&](Leg &leg) {
        if (by_fd.size() <= static_cast<std::size_t>(leg.fd)) by_fd.resize(leg.fd + 1, nullptr);
        by_fd[leg.fd] = &leg;
        watch(leg.fd);
    };
    static SharedPort port;  // large buffers: not on the stack
    static PhoneRing phone_ring;
    if (uring && !phone_ring.init()) {
        std::printf("FAILED io_uring_queue_init\n");
        return 1;
    }
    call_state.assign(static_cast<std::size_t>(calls) * state_pages * 4096, 0);
    auto to_browser = [&](int call, const char *data, std::size_t size) {
        work_per_packet(call);
        if (call < port.next_call) port.queue(call, data, size);
    };
    if (shared) {
        port.fd = bound_socket(static_cast<std::uint16_t>(first_port));
        if (port.fd < 0) {
            std::printf("FAILED cannot bind port %d: %s\n", first_port, std::strerror(errno));
            return 1;
        }
        // The gateway's browser port asks for 4 MiB each way (capped by rmem_max and
        // wmem_max); with the default 208 KiB the floor dropped what queued up during a
        // stall of the CPU, where the gateway held it and counted it as latency.
        int size = 4 * 1024 * 1024;
        (void)::setsockopt(port.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        (void)::setsockopt(port.fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        port.browser_of_call.resize(static_cast<std::size_t>(calls));
        watch(port.fd);
    }
    std::vector<int> towards_phone_fd(static_cast<std::size_t>(calls), -1);
    for (int i = 0; i < calls; ++i) {
        Leg &browser = legs[2 * i], &towards_phone = legs[2 * i + 1];
        towards_phone.fd = bound_socket(0);
        if (!shared) browser.fd = bound_socket(static_cast<std::uint16_t>(first_port + i));
        if ((!shared && browser.fd < 0) || towards_phone.fd < 0) {
            std::printf("FAILED cannot bind port %d: %s\n", first_port + i, std::strerror(errno));
            return 1;
        }
        towards_phone.to_here = phone;
        towards_phone.known = true;
        towards_phone.call = i;
        towards_phone_fd[i] = towards_phone.fd;
        if (!shared) {
            browser.other = towards_phone.fd;
            browser.learns = true;
            towards_phone.other = browser.fd;
            index(browser);
        }
        index(towards_phone);
    }
    watch(STDIN_FILENO);
    std::puts("READY");
    std::fflush(stdout);

    std::vector<epoll_event> events(256);
    char buffer[kDatagram];
    for (;;) {
        int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
        for (int e = 0; e < ready; ++e) {
            int fd = events[e].data.fd;
            if (fd == STDIN_FILENO) {
                if (::read(STDIN_FILENO, buffer, sizeof buffer) <= 0) {
                    std::printf("LOST send_failed=%lu unknown_source=%lu last_error=%s\n", lost.send_failed,
                                lost.unknown_source, lost.last_error ? std::strerror(lost.last_error) : "none");
                    return 0;
                }
                continue;
            }
            if (shared && fd == port.fd) {
                for (int i = 0; i < kBatch; ++i) {
                    port.in_vectors[i] = {port.in[i], kDatagram};
                    std::memset(&port.in_headers[i], 0, sizeof port.in_headers[i]);
                    port.in_headers[i].msg_hdr.msg_iov = &port.in_vectors[i];
                    port.in_headers[i].msg_hdr.msg_iovlen = 1;
                    port.in_headers[i].msg_hdr.msg_name = &port.in_sources[i];
                    port.in_headers[i].msg_hdr.msg_namelen = sizeof port.in_sources[i];
                }
                int count = ::recvmmsg(port.fd, port.in_headers, kBatch, MSG_DONTWAIT, nullptr);
                for (int i = 0; i < count; ++i) {
                    auto found = port.call_of_source.find(key_of(port.in_sources[i]));
                    int call;
                    if (found != port.call_of_source.end()) {
                        call = found->second;
                    } else {
                        if (port.next_call == calls) {  // more sources than calls
                            ++lost.unknown_source;
                            continue;
                        }
                        call = port.next_call++;
                        port.call_of_source.emplace(key_of(port.in_sources[i]), call);
                        port.browser_of_call[call] = port.in_sources[i];
                    }
                    work_per_packet(call);
                    if (uring)
                        phone_ring.send(towards_phone_fd[call], port.in[i], port.in_headers[i].msg_len, phone,
                                        to_browser);
                    else if (::sendto(towards_phone_fd[call], port.in[i], port.in_headers[i].msg_len, 0,
                                      reinterpret_cast<const sockaddr *>(&phone), sizeof phone) < 0)
                        ++lost.send_failed;
                }
                continue;
            }
            Leg &leg = *by_fd[fd];
            if (uring) {
                phone_ring.receive(fd, leg.call, to_browser);
                continue;
            }
            sockaddr_in source{};
            socklen_t length = sizeof source;
            ssize_t size = ::recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr *>(&source), &length);
            if (size <= 0) continue;
            if (shared) {  // a phone-side socket: back to its browser, in the next batch
                work_per_packet(leg.call);
                if (leg.call < port.next_call) port.queue(leg.call, buffer, static_cast<std::size_t>(size));
                continue;
            }
            Leg &out = *by_fd[leg.other];
            if (leg.learns) {
                leg.to_here = source;
                leg.known = true;
            }
            work_per_packet(leg.call);
            if (out.known && ::sendto(out.fd, buffer, static_cast<std::size_t>(size), 0,
                                      reinterpret_cast<const sockaddr *>(&out.to_here), sizeof out.to_here) < 0)
                ++lost.send_failed;
        }
        if (uring) phone_ring.run(to_browser);
        if (shared && port.queued) port.flush();
    }
}
