#include "media/phone_ring.hpp"

#include <liburing.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sylk::media {

namespace {

// Room in the table of registered files for every descriptor number the process may
// have (the kernel refuses a table larger than RLIMIT_NOFILE), at most this many: the
// kernel keeps two pointers per entry.
constexpr rlim_t kMostRegistered = 65536;

unsigned registered_file_capacity() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    return static_cast<unsigned>(std::min(limit.rlim_cur, kMostRegistered));
}

}  // namespace

struct PhoneRing::Slot {
    SocketReader *reader = nullptr;  // a read for this reader; null: a send (or forgotten)
    int fd = -1;
    int result = 0;  // the completion's: bytes, or -errno
    msghdr header{};
    iovec vector{};
    struct sa destination {};  // a send's; a read's source
    std::uint8_t data[SocketReader::kCapacity];
};

struct PhoneRing::Bank {
    Slot slots[kSlots];
    unsigned used = 0;
};

PhoneRing::PhoneRing(RoundEnd &round_end) : ring_(std::make_unique<io_uring>()), round_end_(round_end) {
    banks_[0] = std::make_unique<Bank>();
    banks_[1] = std::make_unique<Bank>();
    round_end_.attach(RoundEnd::Stage::phone_side, *this);
}

PhoneRing::~PhoneRing() {
    round_end_.detach(RoundEnd::Stage::phone_side, *this);
    if (open_) io_uring_queue_exit(ring_.get());
}

int PhoneRing::open() {
    // One thread submits and reaps: the kernel may then run completions' work at the
    // next submission instead of interrupting the thread for it. Older kernels refuse
    // these flags; the ring works without them.
    int err = io_uring_queue_init(kSlots, ring_.get(), IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
    if (err == -EINVAL) err = io_uring_queue_init(kSlots, ring_.get(), 0);
    if (err < 0) return -err;
    open_ = true;
    // Without the table, requests name descriptors: slower, not wrong.
    unsigned capacity = registered_file_capacity();
    if (capacity && io_uring_register_files_sparse(ring_.get(), capacity) == 0) registered_.assign(capacity, false);
    return 0;
}

bool PhoneRing::is_registered(int fd) const {
    return fd >= 0 && static_cast<std::size_t>(fd) < registered_.size() && registered_[fd];
}

std::size_t PhoneRing::registered() const { return std::count(registered_.begin(), registered_.end(), true); }

void PhoneRing::adopt(int fd) {
    if (fd < 0 || static_cast<std::size_t>(fd) >= registered_.size() || registered_[fd]) return;
    if (io_uring_register_files_update(ring_.get(), static_cast<unsigned>(fd), &fd, 1) == 1) registered_[fd] = true;
}

PhoneRing::Slot *PhoneRing::next_slot() {
    Bank &bank = *banks_[filling_];
    if (bank.used == kSlots) {
        ++counters_.early_flushes;
        if (completing_) {
            // Full while the other bank's datagrams are handed out: this one goes now,
            // in place (the other is still in use). Only sends are in it: reads are
            // queued by the loop's descriptor handlers, which never run inside a round.
            submit(bank);
            complete(bank);
            bank.used = 0;
        } else {
            flush();
        }
    }
    Bank &now = *banks_[filling_];
    round_end_.request(RoundEnd::Stage::phone_side);
    return &now.slots[now.used++];
}

void PhoneRing::read_later(SocketReader &reader) {
    Slot *slot = next_slot();
    slot->reader = &reader;
    slot->fd = reader.fd();
    slot->vector = {slot->data, SocketReader::kLongest};
    slot->header = {};
    slot->destination = {};  // the sender's address comes back here
    slot->header.msg_name = &slot->destination.u.sa;
    slot->header.msg_namelen = sizeof slot->destination.u;
    slot->header.msg_iov = &slot->vector;
    slot->header.msg_iovlen = 1;
}

void PhoneRing::send(int fd, const struct sa &to, const struct mbuf &packet) {
    std::size_t size = packet.end - packet.pos;
    if (size > sizeof(Slot::data)) {
        ++counters_.send_failed;
        return;
    }
    Slot *slot = next_slot();
    slot->reader = nullptr;
    slot->fd = fd;
    std::memcpy(slot->data, packet.buf + packet.pos, size);
    slot->vector = {slot->data, size};
    slot->destination = to;
    slot->header = {};
    slot->header.msg_name = &slot->destination.u.sa;
    slot->header.msg_namelen = slot->destination.len;
    slot->header.msg_iov = &slot->vector;
    slot->header.msg_iovlen = 1;
}

void PhoneRing::forget(int fd) {
    for (auto &bank : banks_)
        for (unsigned i = 0; i < bank->used; ++i)
            if (bank->slots[i].fd == fd) {
                bank->slots[i].fd = -1;
                bank->slots[i].reader = nullptr;
            }
    if (!is_registered(fd)) return;
    // Nothing is in flight here (every submission is waited for), so the entry can go now.
    // Marked free even when refused: the number's next socket then registers over the
    // stale entry instead of having its requests go to the closed one.
    int none = -1;
    if (io_uring_register_files_update(ring_.get(), static_cast<unsigned>(fd), &none, 1) != 1)
        ++counters_.unregister_failed;
    registered_[fd] = false;
}

void PhoneRing::end_round() { flush(); }

void PhoneRing::flush() {
    Bank &bank = *banks_[filling_];
    filling_ ^= 1u;  // what the handlers below queue goes to the other bank
    if (bank.used) {
        submit(bank);
        completing_ = true;
        complete(bank);
        completing_ = false;
    }
    bank.used = 0;
}

void PhoneRing::submit(Bank &bank) {
    // Completions carry the round (48 bits): one left over from a failed round is told apart.
    round_ = (round_ + 1) & 0xffffffffffffu;
    unsigned pending = 0;
    for (unsigned i = 0; i < bank.used; ++i) {
        Slot &slot = bank.slots[i];
        slot.result = kNoAnswer;
        if (slot.fd < 0) continue;
        if (!open_) {
            run_directly(slot);
            continue;
        }
        io_uring_sqe *entry = io_uring_get_sqe(ring_.get());
        if (!entry) continue;  // cannot happen (a place for every slot); counted as no answer
        // MSG_DONTWAIT: a socket that cannot give or take a datagram now fails now, as
        // recv and sendto would, instead of parking the request (and its slot) in the
        // ring; so every request is done by the time io_uring_enter returns.
        if (slot.reader)
            io_uring_prep_recvmsg(entry, slot.fd, &slot.header, MSG_DONTWAIT | MSG_TRUNC);
        else
            io_uring_prep_sendmsg(entry, slot.fd, &slot.header, MSG_DONTWAIT);
        // A registered socket's index in the table is its descriptor number.
        if (is_registered(slot.fd)) {
            io_uring_sqe_set_flags(entry, IOSQE_FIXED_FILE);
            ++counters_.fixed_requests;
        }
        io_uring_sqe_set_data64(entry, round_ << 16 | i);
        ++pending;
    }
    counters_.requests += pending;
    if (pending) ++counters_.submissions;
    // The first call submits and waits; one interrupted (a signal) or short of kernel
    // memory tries again (every request is quick: MSG_DONTWAIT), though not forever.
    for (int attempt = 0; pending; ++attempt) {
        int err = io_uring_submit_and_wait(ring_.get(), pending);
        unsigned head, seen = 0;
        io_uring_cqe *completion;
        io_uring_for_each_cqe(ring_.get(), head, completion) {
            ++seen;
            if (completion->user_data >> 16 != round_) continue;
            bank.slots[completion->user_data & 0xffff].result = completion->res;
            --pending;
        }
        io_uring_cq_advance(ring_.get(), seen);
        bool transient = err == -EINTR || err == -EAGAIN || err == -EBUSY;
        if (err < 0 && (!transient || attempt == kAttempts)) {
            give_up(bank, -err);
            return;
        }
    }
}

void PhoneRing::give_up(Bank &bank, int err) {
    // Entries the kernel did not take would go in with the next submission, pointing at
    // slots reused by then: the ring is closed instead, and from now on this worker reads
    // and sends one system call each. What this round did not hear back about: reads
    // are made here (the datagram is still in its socket unless the kernel took it);
    // sends count as failed (sending again could send twice).
    io_uring_queue_exit(ring_.get());  // its registrations end with it
    open_ = false;
    registered_.clear();
    ++counters_.ring_failures;
    last_ring_error_ = err;
    for (unsigned i = 0; i < bank.used; ++i) {
        Slot &slot = bank.slots[i];
        if (slot.fd >= 0 && slot.result == kNoAnswer && slot.reader) run_directly(slot);
    }
}

void PhoneRing::run_directly(Slot &slot) {
    // Once the ring has failed (give_up): the same requests, one system call each.
    if (slot.reader) {
        ssize_t size = ::recvmsg(slot.fd, &slot.header, MSG_DONTWAIT | MSG_TRUNC);
        slot.result = size < 0 ? -errno : static_cast<int>(size);
    } else {
        ssize_t sent = ::sendmsg(slot.fd, &slot.header, MSG_DONTWAIT);
        slot.result = sent < 0 ? -errno : static_cast<int>(sent);
    }
}

void PhoneRing::complete(Bank &bank) {
    for (unsigned i = 0; i < bank.used; ++i) {
        Slot &slot = bank.slots[i];
        if (slot.fd < 0) continue;  // forgotten (its socket closed), maybe by a handler below
        if (!slot.reader) {
            if (slot.result < 0) ++counters_.send_failed;  // no answer counts too: it may not have gone
            continue;
        }
        // A read with no answer left its datagram in the socket, which the next round
        // finds readable again; one that failed (EAGAIN) had nothing to read.
        if (slot.result >= 0) {
            slot.destination.len = slot.header.msg_namelen;  // recvmsg wrote the source's length
            slot.reader->deliver(slot.data, static_cast<std::size_t>(slot.result), slot.destination);
        }
    }
}

}  // namespace sylk::media
