#include "media/browser_port.hpp"

#include "media/socket_reader.hpp"

#include <cerrno>
#include <cstring>
#include <iterator>

namespace sylk::media {

namespace {

// libre's dtls helper sits on the socket at this layer (it is the only helper).
constexpr int kDtlsLayer = 1;
// Buckets of libre's DTLS connection table (one connection per browser address).
constexpr std::uint32_t kDtlsBuckets = 1024;
// Asked of the kernel for both directions: the one socket carries every call's burst.
// The kernel caps it at net.core.rmem_max / wmem_max (docs/configuration.md).
constexpr int kSocketBuffer = 4 * 1024 * 1024;

constexpr std::uint16_t kStunUsername = 0x0006;
constexpr std::size_t kStunHeader = 20;

std::uint16_t read_u16(const std::uint8_t *p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// Whether libre's STUN decoder (which the session's responder uses next) steps over an
// attribute of this type and length as its length field says. For some types it reads
// what the type's value holds and ignores a longer or shorter length, and then reads the
// attributes after it from elsewhere: such a message could name one session to us and
// another to libre (the stun_ufrag fuzz target found one), so it goes to none.
bool read_by_its_length(std::uint16_t type, std::size_t length) {
    switch (type) {
    case 0x0001: case 0x0012: case 0x0016: case 0x0020:  // (XOR-)MAPPED, PEER, RELAYED ADDRESS
    case 0x8023: case 0x802B: case 0x802C:               // ALTERNATE-SERVER, RESPONSE-ORIGIN, OTHER-ADDRESS
        return length == 8 || length == 20;              // IPv4 or IPv6
    case 0x000C: case 0x0027:                            // CHANNEL-NUMBER, RESPONSE-PORT
        return length == 4;
    case 0x0017: case 0x0018: case 0x0019:               // REQUESTED-ADDRESS-FAMILY, EVEN-PORT, REQUESTED-TRANSPORT
        return length >= 1 && length <= 4;
    case 0x000A:                                         // UNKNOWN-ATTRIBUTES: 16-bit types
        return length % 2 == 0;
    default:
        return true;
    }
}

// A libre mbuf holding a copy of `size` bytes (for what keeps a reference: STUN, DTLS).
struct mbuf *copy_to_mbuf(const std::uint8_t *bytes, std::size_t size) {
    struct mbuf *copy = mbuf_alloc(size);
    if (!copy) return nullptr;
    if (mbuf_write_mem(copy, bytes, size) != 0) return static_cast<struct mbuf *>(mem_deref(copy));
    copy->pos = 0;
    return copy;
}

}  // namespace

std::string_view stun_local_ufrag(const std::uint8_t *message, std::size_t size) {
    if (size < kStunHeader) return {};
    std::size_t end = kStunHeader + read_u16(message + 2);
    if (end > size) return {};
    for (std::size_t at = kStunHeader; at + 4 <= end;) {
        std::uint16_t type = read_u16(message + at);
        std::size_t length = read_u16(message + at + 2);
        if (at + 4 + length > end || !read_by_its_length(type, length)) return {};
        if (type == kStunUsername) {
            std::string_view username(reinterpret_cast<const char *>(message + at + 4), length);
            auto colon = username.find(':');
            return colon == std::string_view::npos ? std::string_view{} : username.substr(0, colon);
        }
        at += 4 + ((length + 3) & ~std::size_t(3));
    }
    return {};
}

BrowserPort::BrowserPort(RoundEnd &round_end) : round_end_(round_end) {
    round_end_.attach(RoundEnd::Stage::browser_side, *this);
    for (std::size_t i = 0; i < kBatch; ++i) {
        in_vectors_[i] = {in_buffers_[i].data(), kLongest};
        out_vectors_[i] = {out_buffers_[i].data(), 0};
    }
}

BrowserPort::~BrowserPort() {
    round_end_.detach(RoundEnd::Stage::browser_side, *this);
    // The DTLS socket holds a reference to the UDP one; closing the UDP socket also
    // ends this port's registration in the loop.
    dtls_.reset();
    socket_.reset();
}

int BrowserPort::listen(const struct sa &local) {
    struct udp_sock *socket = nullptr;
    int err = udp_listen(&socket, &local, nullptr, nullptr);
    if (err) return err;
    socket_.reset(socket);
    (void)udp_sockbuf_set(socket, kSocketBuffer);  // best effort: capped, never refused
    struct dtls_sock *dtls = nullptr;
    err = dtls_listen(&dtls, nullptr, socket, kDtlsBuckets, kDtlsLayer, &BrowserPort::on_dtls_connect, this);
    if (err) return err;
    dtls_.reset(dtls);
    // The port reads the socket itself (recvmmsg), not libre.
    return take_over_reading(socket, sa_af(&local), &BrowserPort::on_readable, this, fd_);
}

int BrowserPort::attach(const std::string &ufrag, Client &client) {
    return by_ufrag_.emplace(ufrag, &client).second ? 0 : EEXIST;
}

void BrowserPort::detach(const std::string &ufrag, Client &client) {
    auto owner = by_ufrag_.find(ufrag);
    if (owner != by_ufrag_.end() && owner->second == &client) by_ufrag_.erase(owner);
    by_address_.erase_value(&client);
}

void BrowserPort::route(const struct sa &address, Client &client) { by_address_.set(address, &client); }

void BrowserPort::unroute(const struct sa &address, Client &client) {
    if (by_address_.find(address) == &client) by_address_.erase(address);
}

void BrowserPort::on_readable(int flags, void *self) {
    if (flags & FD_READ) static_cast<BrowserPort *>(self)->read();
}

void BrowserPort::read() {
    // Up to kBatchesPerWakeup batches, until the socket is empty: one libre loop round
    // also serves every phone socket that is ready (one datagram each), and the port
    // carries all the sessions' browser-to-phone packets, so it must take as many. With
    // 4 batches (128), a backlog left by a stalled round (a busy host, the hypervisor)
    // drained at 128 a round while the phone side was served whole, and browser-to-phone
    // packets waited tens of ms at 1,000 calls; the cap still bounds a round under a flood.
    for (std::size_t batch = 0; batch < kBatchesPerWakeup; ++batch) {
        for (std::size_t i = 0; i < kBatch; ++i) {
            auto &header = in_headers_[i].msg_hdr;
            header = {};
            header.msg_name = &in_names_[i];
            header.msg_namelen = sizeof in_names_[i];
            header.msg_iov = &in_vectors_[i];
            header.msg_iovlen = 1;
        }
        int count = ::recvmmsg(fd_, in_headers_.data(), kBatch, MSG_DONTWAIT, nullptr);
        for (int i = 0; i < count; ++i) {
            const auto &header = in_headers_[i].msg_hdr;
            if (header.msg_flags & MSG_TRUNC) {
                ++counters_.truncated;
                continue;
            }
            struct sa source;
            if (sa_set_sa(&source, reinterpret_cast<const struct sockaddr *>(&in_names_[i])) != 0) continue;
            dispatch(source, in_buffers_[i].data(), in_headers_[i].msg_len);
        }
        if (count < static_cast<int>(kBatch)) return;
    }
    // More is waiting: level-triggered epoll brings the port back in the next round.
}

void BrowserPort::dispatch(const struct sa &source, std::uint8_t *bytes, std::size_t size) {
    if (size < 2) {
        ++counters_.not_demultiplexed;
        return;
    }
    std::uint8_t first = bytes[0];
    if (first <= 3) {
        auto owner = by_ufrag_.find(std::string(stun_local_ufrag(bytes, size)));
        if (owner == by_ufrag_.end()) {
            ++counters_.unknown_ufrag;
            return;
        }
        RePtr<struct mbuf> message(copy_to_mbuf(bytes, size));
        if (message) owner->second->port_stun(source, message.get());
    } else if (first >= 20 && first <= 63) {
        // libre finds the connection by address, or asks on_dtls_connect; OpenSSL may
        // keep the record, so it gets a copy in libre memory.
        RePtr<struct mbuf> record(copy_to_mbuf(bytes, size));
        if (record) dtls_recv_packet(dtls_.get(), &source, record.get());
    } else if (first >= 128 && first <= 191) {
        Client *owner = by_address_.find(source);
        if (!owner) {
            ++counters_.unrouted;
            return;
        }
        struct mbuf packet {};
        packet.buf = bytes;
        packet.size = kDatagramSize;
        packet.end = size;
        owner->port_media(source, &packet);
    } else {
        ++counters_.not_demultiplexed;
    }
}

void BrowserPort::on_dtls_connect(const struct sa *peer, void *self_pointer) {
    auto *self = static_cast<BrowserPort *>(self_pointer);
    if (Client *owner = self->by_address_.find(*peer)) owner->port_dtls_offered(*peer);
    // else: not from a checked address (RFC 8445: no data before a check); dropped.
}

void BrowserPort::send(const struct sa &destination, const struct mbuf &packet) {
    std::size_t size = packet.end - packet.pos;
    if (size > kDatagramSize) {
        ++counters_.send_failed;
        return;
    }
    if (queued_ == kBatch) flush();
    std::memcpy(out_buffers_[queued_].data(), packet.buf + packet.pos, size);
    out_destinations_[queued_] = destination;
    out_vectors_[queued_].iov_len = size;
    ++queued_;
    round_end_.request(RoundEnd::Stage::browser_side);
}

void BrowserPort::send_now(const struct sa &destination, struct mbuf *packet) {
    if (udp_send(socket_.get(), &destination, packet) != 0) ++counters_.send_failed;
}

void BrowserPort::end_round() { flush(); }

void BrowserPort::flush() {
    for (std::size_t i = 0; i < queued_; ++i) {
        auto &header = out_headers_[i].msg_hdr;
        header = {};
        header.msg_name = &out_destinations_[i].u;
        header.msg_namelen = out_destinations_[i].len;
        header.msg_iov = &out_vectors_[i];
        header.msg_iovlen = 1;
    }
    std::size_t sent = 0;
    while (sent < queued_) {
        int count = ::sendmmsg(fd_, out_headers_.data() + sent, static_cast<unsigned>(queued_ - sent), MSG_DONTWAIT);
        if (count > 0) {
            sent += static_cast<std::size_t>(count);
        } else if (count < 0 && errno == EINTR) {
            continue;
        } else {
            // sendmmsg reports a failure on the first datagram it could not send: that
            // one is lost (a full send buffer, an ICMP error), the rest still go.
            ++counters_.send_failed;
            ++sent;
        }
    }
    queued_ = 0;
}

}  // namespace sylk::media
