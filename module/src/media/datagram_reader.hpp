// Reads one of libre's UDP sockets into one buffer that the thread reuses, and hands
// each datagram to the handler as an mbuf over that buffer. It replaces libre's
// udp_read, which pays a fresh 8 KiB mbuf, a realloc and a mutex for every datagram.
// One recvfrom per wake-up: a call's socket rarely holds more than one datagram (50
// packets/s), and recvmmsg costs more than recvfrom for one (bench/README). The
// udp_sock stays libre's: it binds, sends and closes the socket (closing ends this
// reader's registration too).
//
// The mbuf a handler gets is valid only during the call, is not libre memory (no
// mem_ref, no growing past its size) and has kTrailerRoom bytes free past its end,
// enough for SRTP to append its tag in place. What must outlive the call (STUN,
// DTLS), the handler copies (copy_datagram).
// Lives on one libre thread; the handler runs on it.
#pragma once

#include <cstddef>
#include <cstdint>  // before re.h, which needs it

#include <re.h>

namespace sylk::media {

class DatagramReader {
public:
    using Handler = void (*)(void *owner, const struct sa &source, struct mbuf &datagram);

    static constexpr std::size_t kCapacity = 2048;     // bytes per buffer
    static constexpr std::size_t kTrailerRoom = 64;    // kept free past the longest datagram taken
    static constexpr std::size_t kLongest = kCapacity - kTrailerRoom;  // longer datagrams are dropped

    DatagramReader(Handler handler, void *owner) : handler_(handler), owner_(owner) {}
    DatagramReader(const DatagramReader &) = delete;
    DatagramReader &operator=(const DatagramReader &) = delete;

    // Takes over reading `socket` (IPv4 or IPv6) on this thread. 0 or an errno value.
    int attach(struct udp_sock *socket);

private:
    static void on_readable(int flags, void *self);
    void read();

    Handler handler_;
    void *owner_;
    int fd_ = -1;
};

// A libre mbuf holding a copy of `datagram`'s unread bytes (for what keeps a reference).
struct mbuf *copy_datagram(const struct mbuf &datagram);

}  // namespace sylk::media
