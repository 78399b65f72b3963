// The phone side's system calls of one loop round, made as one. Each call has its own
// phone sockets, so neither recvmmsg nor sendmmsg can batch them (they take one socket
// each); io_uring can. A phone socket found readable is not read at once, and a packet
// for a phone is copied instead of sent: both wait in a slot until the end of the round
// (RoundEnd's phone-side stage, which runs right after the round's descriptor handlers),
// then go to the kernel in one io_uring_enter, and the datagrams read are handed to their
// readers. At 1,000 calls that replaces about 100,000 recv and sendto calls a second.
//
// Each reader's socket is registered with the ring as a fixed file when the reader
// attaches (adopt), and let go of when it goes (forget): a request on a registered
// descriptor skips the kernel's lookup and reference count of the file (fget and fput,
// 5 % of the worker in perf at 1,000 calls). Where registering is refused, requests
// name the descriptor as before.
//
// Where io_uring cannot be set up (a kernel older than 5.6, or a sandbox that forbids it),
// open() fails, and the worker runs without a ring: its readers read, and its phone
// transports send, one system call each, as before.
//
// Lives on one media worker thread, which must be the one that opens it.
#pragma once

#include "media/round_end.hpp"
#include "media/socket_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <re.h>

struct io_uring;

namespace sylk::media {

class PhoneRing final : public SocketReader::Batch, private RoundEnd::Flusher {
public:
    // Reads and sends one round can hold; a round with more flushes early.
    static constexpr unsigned kSlots = 256;

    struct Counters {
        std::uint64_t requests = 0;      // reads and sends that went through the ring
        std::uint64_t fixed_requests = 0; // of which on a registered descriptor
        std::uint64_t submissions = 0;   // io_uring_enter calls that carried them
        std::uint64_t send_failed = 0;   // a datagram the kernel refused (full buffer, no such port)
        std::uint64_t early_flushes = 0; // rounds that filled every slot
        std::uint64_t ring_failures = 0; // the ring refused a submission and was closed (0 or 1)
        // the kernel refused to end a registration: that socket (and its port) stays open
        // until its number is registered again or the ring closes
        std::uint64_t unregister_failed = 0;
    };

    // Its work is handed to the kernel as `round_end`'s phone-side stage.
    explicit PhoneRing(RoundEnd &round_end);
    ~PhoneRing() override;
    PhoneRing(const PhoneRing &) = delete;
    PhoneRing &operator=(const PhoneRing &) = delete;

    // Sets up the ring on this thread. 0 or an errno value (then do not use it).
    int open();

    // Reads `reader`'s socket at the end of this round.
    void read_later(SocketReader &reader) override;
    // Registers `fd` with the ring (a reader's socket, from its attach).
    void adopt(int fd) override;
    // Sends the packet (pos..end, copied) on `fd` to `to` at the end of this round.
    void send(int fd, const struct sa &to, const struct mbuf &packet);
    // `fd` is about to close: what is queued for it is dropped, not run on a descriptor
    // that may by then be another socket's, and its registration ends (the ring's
    // reference would otherwise keep the socket, and its port, open). Its SocketReader
    // calls this as it goes.
    void forget(int fd) override;
    // Descriptors registered now (counted: for tests and logs, not the packet path).
    std::size_t registered() const;

    const Counters &counters() const { return counters_; }
    // Why the ring was closed (an errno value), when counters().ring_failures.
    int last_ring_error() const { return last_ring_error_; }

private:
    struct Slot;
    struct Bank;

    Slot *next_slot();
    void end_round() override;
    void flush();
    void submit(Bank &bank);
    void give_up(Bank &bank, int err);
    void run_directly(Slot &slot);
    void complete(Bank &bank);
    bool is_registered(int fd) const;

    static constexpr int kNoAnswer = -1000000;  // a slot's result before its completion
    static constexpr int kAttempts = 1000;      // transient refusals in a row before giving up

    std::unique_ptr<io_uring> ring_;
    bool open_ = false;
    // Indexed by descriptor number: registered at that index. Empty when the ring has
    // no table of registered files (refused, or the ring is closed).
    std::vector<bool> registered_;
    // Two banks: while one round's datagrams are handed out, what their handlers queue
    // goes into the other.
    std::unique_ptr<Bank> banks_[2];
    unsigned filling_ = 0;
    bool completing_ = false;  // a bank's datagrams are being handed out
    std::uint64_t round_ = 0;
    RoundEnd &round_end_;
    Counters counters_;
    int last_ring_error_ = 0;
};

}  // namespace sylk::media
