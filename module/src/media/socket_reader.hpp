// Reads one of libre's UDP sockets itself, in place of libre's udp_read (which pays an
// 8 KiB mbuf, and its allocation and release, for every datagram): one recvfrom per
// wake-up into a buffer that every socket of the thread shares, handed to the handler
// as an mbuf over that buffer, with the sender's address. A phone's socket rarely holds more than one datagram at
// 50 packets/s, so one recvfrom beats a recvmmsg whose second slot comes back empty.
// The udp_sock stays libre's: it binds, sends and closes (closing also ends this
// reader's registration in the loop).
//
// With a Batch (PhoneRing), a readable socket is not read at once: the batch reads it
// later in the same loop round, together with every other socket ready then, and hands
// the datagram to deliver().
//
// The mbuf a handler gets is valid only during the call and is not libre memory (no
// mem_ref; never grown past its size): it has kTrailerRoom bytes free past the longest
// datagram taken, room for SRTP to append its tag in place.
// Lives on one libre thread; the handler runs on it.
#pragma once

#include <cstddef>
#include <cstdint>

#include <re.h>

namespace sylk::media {

class SocketReader {
public:
    // `source`: where the datagram came from (the phone side latches on it).
    using Handler = void (*)(void *owner, struct mbuf &datagram, const struct sa &source);

    static constexpr std::size_t kCapacity = 2048;   // bytes of the thread's buffer
    static constexpr std::size_t kTrailerRoom = 64;  // kept free past the longest datagram
    static constexpr std::size_t kLongest = kCapacity - kTrailerRoom;

    // Reads on behalf of many readers, later in the same loop round.
    class Batch {
    public:
        virtual ~Batch() = default;
        virtual void read_later(SocketReader &reader) = 0;
        // `fd` is a reader's from now on (attach): the batch may prepare for it.
        virtual void adopt(int fd) = 0;
        // `fd` is about to close: nothing queued for it may run on it any more, and the
        // batch lets go of it.
        virtual void forget(int fd) = 0;
    };

    SocketReader(Handler handler, void *owner, Batch *batch = nullptr)
        : handler_(handler), owner_(owner), batch_(batch) {}
    // Before its socket closes (a reader is declared after its socket): what the batch
    // holds for the descriptor is dropped, not run on the number's next owner.
    ~SocketReader();
    SocketReader(const SocketReader &) = delete;
    SocketReader &operator=(const SocketReader &) = delete;

    // Takes over reading `socket`, bound on an address of family `af`, on this thread.
    // 0 or an errno value.
    int attach(struct udp_sock *socket, int af);

    // Datagrams longer than kLongest, dropped.
    std::uint64_t truncated() const { return truncated_; }

    int fd() const { return fd_; }
    // A datagram read into `buffer` (kCapacity bytes), `size` its real length (MSG_TRUNC),
    // from `source`: to the handler, or counted as truncated.
    void deliver(std::uint8_t *buffer, std::size_t size, const struct sa &source);

private:
    static void on_readable(int flags, void *self);
    void read();

    Handler handler_;
    void *owner_;
    Batch *batch_;
    int fd_ = -1;
    std::uint64_t truncated_ = 0;
};

// Takes the reading of `socket` (its descriptor for family `af`, put in `fd`) away from
// libre's udp_read and registers `handler` for it in this thread's loop instead, once
// (libre's registration is removed first). 0 or an errno value.
int take_over_reading(struct udp_sock *socket, int af, fd_h *handler, void *arg, int &fd);

}  // namespace sylk::media
