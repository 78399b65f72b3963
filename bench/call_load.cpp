// The browser side of many calls at once, for bench/call-bench.py: per call one UDP
// socket doing what a browser does towards the gateway (ICE Binding requests with
// USE-CANDIDATE and consent refreshes, a DTLS client handshake, SRTP with the keys it
// yields), then 50 audio packets/s (or a video-shaped stream) that carry their send time.
// The phone (bench/rtp_echo) echoes them, writing in when its kernel received each and
// when it sent it back, so each packet crosses the gateway twice and both one-way
// latencies are measured, from kernel receive times on one clock (CLOCK_REALTIME) at
// both ends, as well as the round trip. A `baseline` run sends the same load straight to
// the echo, for the latencies without the gateway. One libre loop, one thread.
//
// Driven line by line on stdin; answers on stdout:
//   open N                          -> CALL i port ufrag pwd   (N lines), then OPENED
//   connect i ip port ufrag pwd     -> SECURED i  (or FAILED i reason)
// Each media command first prints RECORDING when its measured window begins (after a
// second of warm-up) and SENT_ALL when the window's last packet is sent, so that a relay's
// CPU can be read over the window alone.
//   media SECONDS [video]           -> RESULT sent=S received=R p50_us=.. p99_us=.. max_us=.. (round trip)
//                                      fwd_p50_us=.. fwd_p99_us=.. fwd_max_us=.. (to the phone)
//                                      back_p50_us=.. back_p99_us=.. back_max_us=.. (from it)
//                                      fwd_gaps=.. fwd_gap_ms=.. fwd_longest_gap_us=.. fwd_held=..
//                                      fwd_p99_unheld_us=.. and the same back_: where each direction
//                                      stood still over 1 ms (delivery_gaps.hpp)
//   baseline N ip port SECONDS [video] -> the same RESULT, plain RTP straight to ip:port
//   floor N ip first_port SECONDS [video] -> the same, plain RTP, stream i to ip:first_port+i
//                                      (bench/udp_relay's sockets: the relay without the gateway)
//   sdes_open N                     -> SDES i port key   (N lines), then OPENED: SDES-keyed streams
//                                      (AEAD_AES_128_GCM, or AES_CM_128_HMAC_SHA1_80 with --srtp aes-cm)
//   sdes_connect i ip port key      -> (nothing, or FAILED i ...): the relay's address and its key
//   sdes_media SECONDS [video]      -> the same RESULT, the SDES streams through the relay
//   close                           -> CLOSED: every call of `open` closed (after the gateway's run)
//   quit
// Arguments: --srtp aes-cm offers only AES_CM_128_HMAC_SHA1_80 in DTLS and keys the SDES
// streams with it (default: the gateway's choice in DTLS, AES-GCM first; SDES AES-GCM).
// --slot-us N: the streams' sends spread over slots of N microseconds (default 100; 1000
// sends each millisecond's packets in one burst).
#include "delivery_gaps.hpp"
#include "packet_times.hpp"

#include "media/browser_transport.hpp"
#include "media/dtls_certificate.hpp"
#include "media/re_ptr.hpp"
#include "media/socket_reader.hpp"
#include "media/srtp_gcm.hpp"

#include <re.h>

#include <liburing.h>

#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using sylk::media::RePtr;

namespace {

// What each stream sends: audio is one 160-byte G.711 packet every 20 ms; video is a
// 30 frames/s camera's shape, each frame a burst of 3 packets of 1,100 bytes
// (about 90 packets/s and 800 kbit/s each way).
struct StreamShape {
    std::size_t payload_bytes = 160;
    unsigned packets_per_burst = 1;
    std::uint64_t interval_ms = 20;
};
StreamShape shape;

StreamShape shape_named(const std::string &name) {
    if (name == "video") return {1100, 3, 33};
    return {};
}
const char *kPassword = "benchbrowserpasswordbenchbrowser";

// Every time here is nanoseconds on CLOCK_REALTIME, as the packets carry them.
using sylk::bench::kPhoneReceivedAt;
using sylk::bench::kPhoneSentAt;
using sylk::bench::kSentAt;
using sylk::bench::kTimesEnd;
std::uint64_t now_ns() { return sylk::bench::realtime_ns(); }

// Latencies of one kind, kept whole (in ns) until the summary's percentiles.
class Latencies {
public:
    void reserve(std::size_t count) { ns_.reserve(count); }
    void add(std::uint64_t from_ns, std::uint64_t to_ns) {
        ns_.push_back(to_ns > from_ns ? static_cast<std::uint32_t>(std::min<std::uint64_t>(to_ns - from_ns, UINT32_MAX)) : 0);
    }
    // "NAMEp50_us=.. NAMEp99_us=.. NAMEmax_us=..", whole microseconds.
    std::string summary(const std::string &name) {
        std::sort(ns_.begin(), ns_.end());
        using sylk::bench::percentile;
        std::ostringstream out;
        out << name << "p50_us=" << percentile(ns_, 50) / 1000 << " " << name << "p99_us=" << percentile(ns_, 99) / 1000
            << " " << name << "max_us=" << (ns_.empty() ? 0 : ns_.back() / 1000);
        return out.str();
    }

private:
    std::vector<std::uint32_t> ns_;
};

struct Measurement {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    // Sent here to received here.
    Latencies round_trips;
    // Sent here to the phone's kernel receiving it (forward); the phone sending it back to
    // the kernel receiving it here (back): each direction's latencies and where it stood
    // still (bench/delivery_gaps.hpp).
    sylk::bench::DeliveryGaps forward, back;
    bool recording = false;
    std::uint64_t window_start_ns = 0, window_end_ns = UINT64_MAX;  // send times that count

    void reserve(std::size_t count) {
        round_trips.reserve(count);
        forward.reserve(count);
        back.reserve(count);
    }
    // A packet back from the phone, decrypted: its times, and `received_ns` when the
    // kernel received it here.
    void record(const struct mbuf &packet, std::uint64_t received_ns) {
        if (mbuf_get_left(&packet) < kTimesEnd) return;
        std::uint64_t sent_ns, phone_received_ns, phone_sent_ns;
        std::memcpy(&sent_ns, mbuf_buf(&packet) + kSentAt, 8);
        std::memcpy(&phone_received_ns, mbuf_buf(&packet) + kPhoneReceivedAt, 8);
        std::memcpy(&phone_sent_ns, mbuf_buf(&packet) + kPhoneSentAt, 8);
        if (sent_ns < window_start_ns || sent_ns > window_end_ns) return;  // sent outside the window
        ++received;
        round_trips.add(sent_ns, received_ns);
        if (phone_received_ns && phone_sent_ns) {
            forward.add(sent_ns, phone_received_ns);
            back.add(phone_sent_ns, received_ns);
        }
        if (trace) trace->push_back({sent_ns, phone_received_ns, phone_sent_ns, received_ns});
    }
    // With SYLK_CALL_LOAD_TRACE=PREFIX: every measured packet's four times, to say when the
    // slow ones were sent (native uint64 quadruples: sent, phone received, phone sent,
    // received), written with each RESULT to PREFIX.0, PREFIX.1, ... in the order of runs.
    static inline const char *const trace_prefix = std::getenv("SYLK_CALL_LOAD_TRACE");
    std::unique_ptr<std::vector<std::array<std::uint64_t, 4>>> trace;
    void write_trace() {
        if (!trace) return;
        static unsigned runs = 0;
        if (FILE *file = std::fopen((std::string(trace_prefix) + "." + std::to_string(runs++)).c_str(), "wb")) {
            std::fwrite(trace->data(), sizeof trace->front(), trace->size(), file);
            std::fclose(file);
        }
        trace->clear();
    }
    std::string summary() {
        write_trace();
        std::ostringstream out;
        out << "RESULT sent=" << sent << " received=" << received << " " << round_trips.summary("") << " "
            << forward.summary("fwd_") << " " << back.summary("back_");
        return out.str();
    }
};

Measurement measurement;

// Writes an RTP packet: 12-byte header, then the times (its send time now), then filler.
void write_rtp(struct mbuf *packet, std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp) {
    packet->pos = packet->end = 0;
    mbuf_write_u8(packet, 0x80);
    mbuf_write_u8(packet, 0);  // PCMU
    mbuf_write_u16(packet, htons(sequence));
    mbuf_write_u32(packet, htonl(timestamp));
    mbuf_write_u32(packet, htonl(ssrc));
    std::uint64_t sent = now_ns();
    mbuf_write_mem(packet, reinterpret_cast<const std::uint8_t *>(&sent), sizeof sent);
    mbuf_fill(packet, 0, kTimesEnd - kPhoneReceivedAt);
    mbuf_fill(packet, 0xff, shape.payload_bytes - (kTimesEnd - kSentAt));
    packet->pos = 0;
}

// Reads one socket with the kernel's receive time of each datagram (SO_TIMESTAMPNS), in
// place of libre's reader: one recvmsg per wake-up into a buffer all sockets share, handed
// on as an mbuf over it (valid during the call; room past the datagram for SRTP's tag).
class StampedReader {
public:
    using Handler = void (*)(void *owner, struct mbuf &datagram, std::uint64_t received_ns);
    StampedReader(Handler handler, void *owner) : handler_(handler), owner_(owner) {}

    // 0 or an errno value.
    int attach(struct udp_sock *socket) {
        int err = sylk::media::take_over_reading(socket, AF_INET, &StampedReader::on_readable, this, fd_);
        if (err) return err;
        int on = 1;
        return ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0 ? 0 : errno;
    }
    int fd() const { return fd_; }

private:
    static constexpr std::size_t kCapacity = sylk::media::SocketReader::kCapacity;
    static constexpr std::size_t kLongest = sylk::media::SocketReader::kLongest;

    // A call's socket is connected to the gateway: once the gateway is gone, the ICMP
    // answer to a consent check leaves an error on it, which epoll reports (FD_EXCEPT)
    // until a read takes it. Ignored, it turned every tick into a walk over every call's
    // socket: 97 % of a core, during the floor and reference runs that follow.
    static void on_readable(int flags, void *self) {
        if (flags & (FD_READ | FD_EXCEPT)) static_cast<StampedReader *>(self)->read();
    }
    void read() {
        static std::uint8_t buffer[kCapacity];
        alignas(cmsghdr) static std::uint8_t control[CMSG_SPACE(sizeof(timespec))];
        iovec vector{buffer, kLongest};
        msghdr message{};
        message.msg_iov = &vector;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        ssize_t size = ::recvmsg(fd_, &message, MSG_DONTWAIT);
        if (size < 0 || (message.msg_flags & MSG_TRUNC)) return;
        std::uint64_t received_ns = sylk::bench::kernel_receive_ns(message);
        if (!received_ns) received_ns = now_ns();
        struct mbuf datagram {};
        datagram.buf = buffer;
        datagram.size = kCapacity;
        datagram.end = static_cast<std::size_t>(size);
        handler_(owner_, datagram, received_ns);
    }

    Handler handler_;
    void *owner_;
    int fd_ = -1;
};

// How finely the streams' sends are spread: slots of this many microseconds (--slot-us).
// Independent browsers' packets arrive spread out; with 1 ms slots, each slot's packets
// (50 at 1,000 calls) left in one burst, and the last of a burst waited at the relay for
// the 49 before it, a latency of the load's shape rather than of the relay.
std::uint64_t slot_us = 100;

std::uint64_t monotonic_us() { return sylk::bench::clock_ns(CLOCK_MONOTONIC) / 1000; }

// Media goes out in slots: stream i sends in slot i % (slots per interval) of every
// interval, so each tick visits only the streams of the slots that came due since the
// tick before (at 1,000 calls, visiting every call on every tick was most of this
// program's own time).
class Pacer {
public:
    void reset() { last_slot_ = 0; }
    template <typename Send>
    void run(std::uint64_t now_slot, std::size_t streams, Send send) {
        std::uint64_t interval = shape.interval_ms * 1000 / slot_us;
        if (!last_slot_) last_slot_ = now_slot - 1;
        if (now_slot - last_slot_ > interval) last_slot_ = now_slot - interval;  // a late tick: each slot once
        for (; last_slot_ < now_slot; ++last_slot_) {
            for (std::size_t i = (last_slot_ + 1) % interval; i < streams; i += interval)
                for (unsigned k = 0; k < shape.packets_per_burst; ++k) send(i);
        }
    }

private:
    std::uint64_t last_slot_ = 0;
};

// The media packets of one tick, handed to the kernel together: one io_uring_enter for
// the tick's 50 (audio) to 150 (video) packets at 1,000 calls instead of a send() each,
// the system calls being most of what this program costs on this machine. Without
// io_uring (an old kernel, or it is disabled), one sendmsg each.
class SendBatch {
public:
    static constexpr unsigned kSlots = 1024;
    static constexpr std::size_t kSlotBytes = 1500 + 64;  // the largest shape, its tag, libre's trailer

    SendBatch() : slots_(kSlots) { ring_ready_ = io_uring_queue_init(kSlots, &ring_, 0) == 0; }
    ~SendBatch() {
        if (ring_ready_) io_uring_queue_exit(&ring_);
    }
    bool uses_io_uring() const { return ring_ready_; }

    // The next packet's buffer, empty; then queue() it, or leave it for the next one.
    struct mbuf *next() {
        if (used_ == kSlots) flush();
        Slot &slot = slots_[used_];
        slot.packet = {};
        slot.packet.buf = slot.data;
        slot.packet.size = sizeof slot.data;
        return &slot.packet;
    }
    // Sends what next() gave, from pos to end, on `fd` to `to` (null: the socket is
    // connected), at the end of this tick. `counted`: it counts as sent when it goes out.
    void queue(int fd, const struct sa *to, bool counted) {
        Slot &slot = slots_[used_++];
        slot.counted = counted;
        slot.vector = {mbuf_buf(&slot.packet), mbuf_get_left(&slot.packet)};
        slot.header = {};
        if (to) {
            slot.destination = *to;
            slot.header.msg_name = &slot.destination.u.sa;
            slot.header.msg_namelen = slot.destination.len;
        }
        slot.header.msg_iov = &slot.vector;
        slot.header.msg_iovlen = 1;
        slot.fd = fd;
    }
    // Sends what is queued; the counted ones that went out count in the measurement.
    void flush() {
        std::uint64_t counted = 0;
        if (ring_ready_) {
            for (unsigned i = 0; i < used_; ++i) {
                io_uring_sqe *entry = io_uring_get_sqe(&ring_);
                // MSG_DONTWAIT: a full socket buffer fails the send now, as for the
                // gateway, instead of parking it (and its buffer) in the ring.
                io_uring_prep_sendmsg(entry, slots_[i].fd, &slots_[i].header, MSG_DONTWAIT);
                io_uring_sqe_set_data64(entry, i);
            }
            if (used_ && io_uring_submit_and_wait(&ring_, used_) >= 0) {
                unsigned head, seen = 0;
                io_uring_cqe *completion;
                io_uring_for_each_cqe(&ring_, head, completion) {
                    if (completion->res > 0 && slots_[completion->user_data].counted) ++counted;
                    ++seen;
                }
                io_uring_cq_advance(&ring_, seen);
            }
        } else {
            for (unsigned i = 0; i < used_; ++i)
                if (::sendmsg(slots_[i].fd, &slots_[i].header, MSG_DONTWAIT) > 0 && slots_[i].counted) ++counted;
        }
        used_ = 0;
        measurement.sent += counted;
    }

private:
    struct Slot {
        struct mbuf packet {};
        std::uint8_t data[kSlotBytes];
        msghdr header{};
        iovec vector{};
        struct sa destination {};
        int fd = -1;
        bool counted = false;
    };
    std::vector<Slot> slots_;
    unsigned used_ = 0;
    io_uring ring_{};
    bool ring_ready_ = false;
};
SendBatch *sends = nullptr;  // main()'s

// One direction of SRTP: the gateway's own AES-GCM (what it runs itself) where the suite
// is AES-GCM and the CPU has AES-NI, else libre's srtp.
class SrtpDirection {
public:
    int init(enum srtp_suite suite, const std::uint8_t *key, std::size_t size) {
        if (suite == SRTP_AES_128_GCM && size == sylk::media::SrtpGcm::kMasterSize &&
            sylk::media::SrtpGcm::available()) {
            gcm_ = std::make_unique<sylk::media::SrtpGcm>(key);
            return 0;
        }
        struct srtp *context = nullptr;
        if (int err = srtp_alloc(&context, suite, key, size, 0)) return err;
        libre_.reset(context);
        return 0;
    }
    bool ready() const { return gcm_ || libre_; }
    bool protect(struct mbuf *packet) { return gcm_ ? gcm_->protect(packet) : srtp_encrypt(libre_.get(), packet) == 0; }
    bool unprotect(struct mbuf *packet) {
        return gcm_ ? gcm_->unprotect(packet) : srtp_decrypt(libre_.get(), packet) == 0;
    }

private:
    std::unique_ptr<sylk::media::SrtpGcm> gcm_;
    RePtr<struct srtp> libre_;
};

class Call {
public:
    Call(std::size_t index, struct tls *dtls)
        : index_(index), dtls_(dtls), ufrag_("b" + std::to_string(index) + "x"), reader_(&Call::on_stamped, this) {}

    int open() {
        struct sa local;
        sa_set_str(&local, "127.0.0.1", 0);
        struct udp_sock *socket = nullptr;
        if (int err = udp_listen(&socket, &local, &Call::on_packet, this)) return err;
        socket_.reset(socket);
        udp_sockbuf_set(socket, 1 << 20);
        struct dtls_sock *helper = nullptr;
        if (int err = dtls_listen(&helper, nullptr, socket, 2, 4, &Call::on_dtls_incoming, this)) return err;
        dtls_socket_.reset(helper);
        return udp_local_get(socket, &local_) ? EINVAL : 0;
    }

    std::uint16_t port() const { return sa_port(&local_); }
    const std::string &ufrag() const { return ufrag_; }
    bool secured() const { return tx_.ready(); }

    void connect(const struct sa &gateway, std::string gateway_ufrag, std::string gateway_pwd) {
        gateway_ = gateway;
        gateway_ufrag_ = std::move(gateway_ufrag);
        gateway_pwd_ = std::move(gateway_pwd);
        send_check();
    }

    // Called every few ms by the shared timer: ICE retransmissions and consent; once
    // secured, the socket's reading moves from libre's reader to ours.
    void tick_ice(std::uint64_t now_ms) {
        if (!gateway_ufrag_.empty() && !checked_ && now_ms - last_check_ms_ >= 100) send_check();
        if (checked_ && now_ms - last_check_ms_ >= 5000) send_check();  // consent freshness
        if (secured() && fd_ < 0) read_it_ourselves();
    }

    void send_media() {
        if (!tx_.ready() || fd_ < 0) return;
        struct mbuf *packet = sends->next();
        write_rtp(packet, 0x1000 + static_cast<std::uint32_t>(index_), sequence_++, timestamp_ += 160);
        if (tx_.protect(packet)) sends->queue(fd_, nullptr, measurement.recording);
    }

private:
    // After the DTLS handshake, only SRTP and STUN (consent) arrive: one recv each into
    // SocketReader's buffer instead of libre's 8 KiB mbuf per datagram, and sends on the
    // socket connected to the gateway (its route looked up once). Not from within libre's
    // read handler, where the handshake ends: from the next tick.
    void read_it_ourselves() {
        if (int err = reader_.attach(socket_.get())) {
            std::printf("FAILED %zu reader: %s\n", index_, std::strerror(err));
            std::fflush(stdout);
            return;
        }
        int fd = udp_sock_fd(socket_.get(), AF_INET);
        if (::connect(fd, &gateway_.u.sa, gateway_.len) != 0) {
            std::printf("FAILED %zu connect: %s\n", index_, std::strerror(errno));
            std::fflush(stdout);
            return;
        }
        fd_ = fd;
    }

    void send_check() {
        last_check_ms_ = tmr_jiffies();
        RePtr<struct mbuf> request(mbuf_alloc(256));
        std::uint8_t tid[STUN_TID_SIZE];
        rand_bytes(tid, sizeof tid);
        std::string username = gateway_ufrag_ + ":" + ufrag_;
        std::uint32_t priority = 2130706431;
        std::uint64_t tiebreaker = rand_u64();
        if (stun_msg_encode(request.get(), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid, nullptr,
                            reinterpret_cast<const std::uint8_t *>(gateway_pwd_.data()), gateway_pwd_.size(), true,
                            0x20, 4, STUN_ATTR_USERNAME, username.c_str(), STUN_ATTR_PRIORITY, &priority,
                            STUN_ATTR_CONTROLLING, &tiebreaker, STUN_ATTR_USE_CAND, &priority) != 0)
            return;
        request->pos = 0;
        (void)udp_send(socket_.get(), &gateway_, request.get());
    }

    static void on_packet(const struct sa *, struct mbuf *packet, void *arg) {
        static_cast<Call *>(arg)->on_datagram(*packet, now_ns());
    }
    static void on_stamped(void *arg, struct mbuf &packet, std::uint64_t received_ns) {
        static_cast<Call *>(arg)->on_datagram(packet, received_ns);
    }

    void on_datagram(struct mbuf &packet, std::uint64_t received_ns) {
        if (mbuf_get_left(&packet) < 2) return;
        std::uint8_t first = mbuf_buf(&packet)[0];
        if (first < 4) return on_stun(&packet);
        if (first >= 128 && first < 192 && rx_.ready()) {
            std::uint8_t type = mbuf_buf(&packet)[1];
            if (type >= 192 && type <= 223) return;  // RTCP
            if (!rx_.unprotect(&packet)) return;
            if (measurement.recording) measurement.record(packet, received_ns);
        }
    }

    void on_stun(struct mbuf *packet) {
        struct stun_msg *message = nullptr;
        if (stun_msg_decode(&message, packet, nullptr) != 0) return;
        RePtr<struct stun_msg> owned(message);
        if (stun_msg_class(message) != STUN_CLASS_SUCCESS_RESP || checked_) return;
        checked_ = true;
        struct tls_conn *connection = nullptr;
        int err = dtls_connect(&connection, dtls_, dtls_socket_.get(), &gateway_, &Call::on_secured,
                               &Call::on_dtls_data, &Call::on_dtls_closed, this);
        if (err) {
            std::printf("FAILED %zu dtls_connect: %s\n", index_, std::strerror(err));
            std::fflush(stdout);
            return;
        }
        connection_.reset(connection);
    }

    static void on_secured(void *arg) {
        auto *self = static_cast<Call *>(arg);
        enum srtp_suite suite {};
        std::uint8_t client_key[46], server_key[46];
        int err = tls_srtp_keyinfo(self->connection_.get(), &suite, client_key, sizeof client_key, server_key,
                                   sizeof server_key);
        std::size_t size = sylk::media::srtp_key_size(suite);
        if (!err) err = self->rx_.init(suite, server_key, size);
        if (!err) err = self->tx_.init(suite, client_key, size);  // last: secured() means both
        if (err) {
            std::printf("FAILED %zu srtp: %s\n", self->index_, std::strerror(err));
        } else {
            std::printf("SECURED %zu\n", self->index_);
        }
        std::fflush(stdout);
    }

    static void on_dtls_data(struct mbuf *, void *) {}
    static void on_dtls_closed(int err, void *arg) {
        std::printf("CLOSED %zu %s\n", static_cast<Call *>(arg)->index_, std::strerror(err));  // at hang-up
        std::fflush(stdout);
    }
    static void on_dtls_incoming(const struct sa *, void *) {}  // we are the client

    std::size_t index_;
    struct tls *dtls_;
    std::string ufrag_;
    RePtr<struct udp_sock> socket_;
    RePtr<struct dtls_sock> dtls_socket_;
    RePtr<struct tls_conn> connection_;
    SrtpDirection tx_, rx_;
    StampedReader reader_;
    int fd_ = -1;  // once ours to read and connected to the gateway
    struct sa local_ {}, gateway_ {};
    std::string gateway_ufrag_, gateway_pwd_;
    bool checked_ = false;
    std::uint64_t last_check_ms_ = 0;
    std::uint16_t sequence_ = 1;
    std::uint32_t timestamp_ = 0;
};

// Plain RTP streams straight to the echo: the same load without the gateway.
class BaselineStream {
public:
    int open(std::size_t index, const struct sa &echo) {
        index_ = index;
        echo_ = echo;
        struct sa local;
        sa_set_str(&local, "127.0.0.1", 0);
        struct udp_sock *socket = nullptr;
        int err = udp_listen(&socket, &local, nullptr, this);
        socket_.reset(socket);
        return err ? err : reader_.attach(socket);
    }
    void send_one() {
        struct mbuf *packet = sends->next();
        write_rtp(packet, 0x2000 + static_cast<std::uint32_t>(index_), sequence_++, timestamp_ += 160);
        sends->queue(udp_sock_fd(socket_.get(), AF_INET), &echo_, measurement.recording);
    }

private:
    static void on_packet(void *, struct mbuf &packet, std::uint64_t received_ns) {
        if (measurement.recording) measurement.record(packet, received_ns);
    }
    std::size_t index_ = 0;
    struct sa echo_ {};
    RePtr<struct udp_sock> socket_;
    StampedReader reader_{&BaselineStream::on_packet, this};
    std::uint16_t sequence_ = 1;
    std::uint32_t timestamp_ = 0;
};

// One call's browser side keyed by SDES (a=crypto) instead of DTLS, for relays that take
// SRTP keys in the SDP (rtpengine): SRTP with our key to the relay, SRTP back with the
// relay's key. AEAD_AES_128_GCM (RFC 7714) or AES_CM_128_HMAC_SHA1_80.
class SdesStream {
public:
    int open(std::size_t index, enum srtp_suite suite) {
        index_ = index;
        suite_ = suite;
        key_size_ = sylk::media::srtp_key_size(suite);
        if (key_size_ == 0 || key_size_ > sizeof key_) return EINVAL;
        struct sa local;
        sa_set_str(&local, "127.0.0.1", 0);
        struct udp_sock *socket = nullptr;
        int err = udp_listen(&socket, &local, nullptr, this);
        if (err) return err;
        socket_.reset(socket);
        if ((err = reader_.attach(socket))) return err;
        udp_sockbuf_set(socket, 1 << 20);
        rand_bytes(key_, key_size_);
        if ((err = tx_.init(suite_, key_, key_size_))) return err;
        return udp_local_get(socket, &local_) ? EINVAL : 0;
    }
    std::uint16_t port() const { return sa_port(&local_); }
    std::string key() const {
        char text[64];
        std::size_t size = sizeof text;
        if (base64_encode(key_, key_size_, text, &size) != 0) return {};
        return std::string(text, size);
    }
    // The relay's address and the key it encrypts with; 0 or an errno value.
    int connect(const struct sa &relay, const std::string &relay_key) {
        std::uint8_t key[64];
        std::size_t size = sizeof key;
        if (base64_decode(relay_key.data(), relay_key.size(), key, &size) != 0 || size != key_size_) return EINVAL;
        if (int err = rx_.init(suite_, key, size)) return err;
        relay_ = relay;
        return 0;
    }
    void send_one() {
        if (!rx_.ready()) return;
        struct mbuf *packet = sends->next();
        write_rtp(packet, 0x3000 + static_cast<std::uint32_t>(index_), sequence_++, timestamp_ += 160);
        if (tx_.protect(packet)) sends->queue(udp_sock_fd(socket_.get(), AF_INET), &relay_, measurement.recording);
    }

private:
    static void on_packet(void *arg, struct mbuf &packet, std::uint64_t received_ns) {
        auto *self = static_cast<SdesStream *>(arg);
        if (!self->rx_.ready() || mbuf_get_left(&packet) < 12) return;
        std::uint8_t type = mbuf_buf(&packet)[1];
        if (type >= 192 && type <= 223) return;  // RTCP
        if (!self->rx_.unprotect(&packet)) return;
        if (measurement.recording) measurement.record(packet, received_ns);
    }
    std::size_t index_ = 0;
    enum srtp_suite suite_ = SRTP_AES_128_GCM;
    std::uint8_t key_[32] = {};
    std::size_t key_size_ = 0;
    struct sa local_ {}, relay_ {};
    RePtr<struct udp_sock> socket_;
    StampedReader reader_{&SdesStream::on_packet, this};
    SrtpDirection tx_, rx_;
    std::uint16_t sequence_ = 1;
    std::uint32_t timestamp_ = 0;
};

struct Generator {
    RePtr<struct tls> dtls;
    std::vector<std::unique_ptr<Call>> calls;
    std::vector<std::unique_ptr<BaselineStream>> baseline;
    std::vector<std::unique_ptr<SdesStream>> sdes;
    enum srtp_suite sdes_suite = SRTP_AES_128_GCM;
    int ticker = -1;  // a timerfd, every slot
    struct tmr window {};
    Pacer pacer;
    std::uint64_t last_ice_ms = 0;
    std::string input;
    bool media = false;
    bool calls_send = false;  // the calls' own media: off while baseline or floor streams run
    std::uint64_t media_until_ms = 0;
    std::uint64_t warmup_until_ms = 0;

    // libre's timers count whole milliseconds: the slots are ticked by a timerfd.
    int start_ticking() {
        ticker = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (ticker < 0) return errno;
        long nanoseconds = static_cast<long>(slot_us) * 1000;
        itimerspec every{{nanoseconds / 1000000000, nanoseconds % 1000000000},
                         {nanoseconds / 1000000000, nanoseconds % 1000000000}};
        if (::timerfd_settime(ticker, 0, &every, nullptr) != 0) return errno;
        return fd_listen(ticker, FD_READ, &Generator::on_tick, this);
    }
    void stop_ticking() {
        if (ticker < 0) return;
        fd_close(ticker);
        ::close(ticker);
    }

    static void on_tick(int flags, void *arg) {
        auto *self = static_cast<Generator *>(arg);
        if (!(flags & FD_READ)) return;
        std::uint64_t expirations;
        if (::read(self->ticker, &expirations, sizeof expirations) < 0) return;  // none yet
        std::uint64_t now = tmr_jiffies();
        if (now - self->last_ice_ms >= 10) {  // ICE's and consent's timers need no finer grain
            self->last_ice_ms = now;
            for (auto &call : self->calls) call->tick_ice(now);
        }
        if (self->media) {
            self->pacer.run(monotonic_us() / slot_us, std::max({self->calls_send ? self->calls.size() : 0, self->baseline.size(),
                                           self->sdes.size()}),
                            [self](std::size_t i) {
                                if (self->calls_send && i < self->calls.size()) self->calls[i]->send_media();
                                if (i < self->baseline.size()) self->baseline[i]->send_one();
                                if (i < self->sdes.size()) self->sdes[i]->send_one();
                            });
            sends->flush();
            if (!measurement.recording && now >= self->warmup_until_ms) {
                measurement.recording = true;
                measurement.window_start_ns = now_ns();
                std::puts("RECORDING");  // the window begins: what relays cost is counted from here
                std::fflush(stdout);
            }
            if (now >= self->media_until_ms) self->finish_window();
        }
    }

    void start_window(unsigned seconds) {
        measurement = Measurement{};
        measurement.reserve(seconds * 1000 * 60);
        if (Measurement::trace_prefix) measurement.trace = std::make_unique<std::vector<std::array<std::uint64_t, 4>>>();
        media = true;
        pacer.reset();
        warmup_until_ms = tmr_jiffies() + 1000;  // the first second fills queues and is not counted
        media_until_ms = warmup_until_ms + seconds * 1000ull;
    }

    void finish_window() {
        media = false;
        measurement.window_end_ns = now_ns();
        std::puts("SENT_ALL");  // the window's last packet is out
        std::fflush(stdout);
        // Late echoes of the last packets: wait a little before the summary.
        tmr_start(&window, 200, &Generator::on_window_end, this);
    }

    static void on_window_end(void *arg) {
        measurement.recording = false;
        std::puts(measurement.summary().c_str());
        std::fflush(stdout);
        static_cast<Generator *>(arg)->baseline.clear();
        static_cast<Generator *>(arg)->sdes.clear();
    }

    // "SECONDS [video]": the streams' shape, then the measured window, with or without
    // the calls' own media.
    void start_media(std::istream &words, bool with_calls) {
        unsigned seconds = 10;
        std::string shape_name;
        words >> seconds >> shape_name;
        shape = shape_named(shape_name);
        calls_send = with_calls;
        start_window(seconds);
    }

    // "N ip port SECONDS [video]": N plain streams to ip:port, or to ip:port+i for stream i.
    void open_plain_streams(std::istream &words, bool port_per_stream) {
        std::size_t count = 0;
        std::string ip;
        unsigned port = 0;
        words >> count >> ip >> port;
        for (std::size_t i = 0; i < count; ++i) {
            struct sa destination;
            sa_set_str(&destination, ip.c_str(), static_cast<std::uint16_t>(port + (port_per_stream ? i : 0)));
            baseline.push_back(std::make_unique<BaselineStream>());
            baseline.back()->open(i, destination);
        }
        start_media(words, false);
    }

    void command(const std::string &line) {
        std::istringstream words(line);
        std::string verb;
        words >> verb;
        if (verb == "open") {
            std::size_t count = 0;
            words >> count;
            for (std::size_t i = 0; i < count; ++i) {
                auto call = std::make_unique<Call>(calls.size(), dtls.get());
                if (int err = call->open()) {
                    std::printf("FAILED %zu open: %s\n", calls.size(), std::strerror(err));
                    break;
                }
                std::printf("CALL %zu %u %s %s\n", calls.size(), call->port(), call->ufrag().c_str(), kPassword);
                calls.push_back(std::move(call));
            }
            std::puts("OPENED");
        } else if (verb == "connect") {
            std::size_t index = 0;
            std::string ip, ufrag, pwd;
            unsigned port = 0;
            words >> index >> ip >> port >> ufrag >> pwd;
            struct sa gateway;
            if (index >= calls.size() || sa_set_str(&gateway, ip.c_str(), static_cast<std::uint16_t>(port)) != 0) {
                std::printf("FAILED %zu bad connect line\n", index);
            } else {
                calls[index]->connect(gateway, ufrag, pwd);
            }
        } else if (verb == "media") {
            start_media(words, true);
        } else if (verb == "baseline") {
            open_plain_streams(words, false);
        } else if (verb == "floor") {
            open_plain_streams(words, true);
        } else if (verb == "sdes_open") {
            std::size_t count = 0;
            words >> count;
            for (std::size_t i = 0; i < count; ++i) {
                auto stream = std::make_unique<SdesStream>();
                if (int err = stream->open(i, sdes_suite)) {
                    std::printf("FAILED %zu open: %s\n", i, std::strerror(err));
                    break;
                }
                std::printf("SDES %zu %u %s\n", i, stream->port(), stream->key().c_str());
                sdes.push_back(std::move(stream));
            }
            std::puts("OPENED");
        } else if (verb == "sdes_connect") {
            std::size_t index = 0;
            std::string ip, key;
            unsigned port = 0;
            words >> index >> ip >> port >> key;
            struct sa relay;
            if (index >= sdes.size() || sa_set_str(&relay, ip.c_str(), static_cast<std::uint16_t>(port)) != 0 ||
                sdes[index]->connect(relay, key) != 0)
                std::printf("FAILED %zu bad sdes_connect line\n", index);
        } else if (verb == "sdes_media") {
            start_media(words, false);
        } else if (verb == "close") {
            // The calls' sockets would otherwise keep sending consent checks to the
            // gateway's browser port, which a floor relay may have bound by then.
            calls.clear();
            std::puts("CLOSED");
        } else if (verb == "quit") {
            re_cancel();
        }
        std::fflush(stdout);
    }

    static void on_stdin(int flags, void *arg) {
        auto *self = static_cast<Generator *>(arg);
        if (!(flags & FD_READ)) return;
        char buffer[4096];
        ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) return re_cancel();
        self->input.append(buffer, static_cast<std::size_t>(n));
        std::size_t end;
        while ((end = self->input.find('\n')) != std::string::npos) {
            std::string line = self->input.substr(0, end);
            self->input.erase(0, end + 1);
            self->command(line);
        }
    }
};

}  // namespace

int main(int argc, char **argv) {
    bool aes_cm_only = false;
    for (int i = 1; i < argc; i += 2) {
        std::string option = argv[i], value = i + 1 < argc ? argv[i + 1] : "";
        if (option == "--srtp" && value == "aes-cm") {
            aes_cm_only = true;
        } else if (option == "--slot-us" && std::atoi(value.c_str()) > 0 && 1000 % std::atoi(value.c_str()) == 0) {
            slot_us = static_cast<std::uint64_t>(std::atoi(value.c_str()));
        } else {
            std::fprintf(stderr, "usage: call_load [--srtp aes-cm] [--slot-us N (a divisor of 1000)]\n");
            return 2;
        }
    }
    if (libre_init() != 0) return 1;
    fd_setsize(16384);
    int status = 0;
    {
        SendBatch batch;
        sends = &batch;
        Generator generator;
        auto certificate = sylk::media::DtlsCertificate::generate();
        struct tls *tls = nullptr;
        if (certificate.make_dtls_context(&tls) != 0) return 1;
        generator.dtls.reset(tls);
        if (aes_cm_only && tls_set_srtp(tls, "SRTP_AES128_CM_SHA1_80") != 0) return 1;
        if (aes_cm_only) generator.sdes_suite = SRTP_AES_CM_128_HMAC_SHA1_80;
        std::printf("SENDS %s\n", batch.uses_io_uring() ? "io_uring" : "sendmsg");
        std::printf("FINGERPRINT %s\n", certificate.fingerprint().c_str());
        std::fflush(stdout);
        fd_listen(STDIN_FILENO, FD_READ, &Generator::on_stdin, &generator);
        if (int err = generator.start_ticking()) {
            std::printf("FAILED ticker: %s\n", std::strerror(err));
            return 1;
        }
        status = re_main(nullptr);
        fd_close(STDIN_FILENO);
        generator.stop_ticking();
        tmr_cancel(&generator.window);
    }
    libre_close();
    return status;
}
