// The phone's side of one bridged m-line: plain RTP on an even port and RTCP on the
// next, from the configured range. Each socket takes datagrams only from the phone's
// source as its SourceLatch learns it (the SDP's address, or where the phone's first
// packets come from when it is behind NAT), drops and counts the rest, and sends there.
// Both sockets are read by a SocketReader (not libre's udp_read), so a packet from the
// phone lies in a reader's buffer while it is relayed. With the worker's PhoneRing, the
// reads and the sends wait for the end of the loop round and go with everyone else's.
// Lives on one media worker thread; every callback comes on it.
#pragma once

#include "media/media_engine.hpp"
#include "media/phone_ring.hpp"
#include "media/re_ptr.hpp"
#include "media/socket_reader.hpp"
#include "media/source_latch.hpp"

#include <cstddef>
#include <cstdint>

#include <re.h>

namespace sylk::media {

class PhoneTransport {
public:
    class Events {
    public:
        virtual ~Events() = default;
        // pos at the RTP / RTCP header; the mbuf is a SocketReader's (valid during the call)
        virtual void phone_rtp(std::size_t line, struct mbuf *packet) = 0;
        virtual void phone_rtcp(std::size_t line, struct mbuf *packet) = 0;
    };

    // `ring`: the worker's, or null (one system call per read and per send).
    PhoneTransport(Events &events, std::size_t line, PhoneRing *ring);
    ~PhoneTransport();
    PhoneTransport(const PhoneTransport &) = delete;
    PhoneTransport &operator=(const PhoneTransport &) = delete;

    // Binds `rtp_port` and `rtp_port + 1` on `local`'s address. Returns 0 or an errno value.
    int listen(const struct sa &local, std::uint16_t rtp_port);
    // Where the phone receives (its SDP's address and port; RTCP on port + 1). A port
    // of 0 sends and takes nothing. Only a changed address or port learns the phone's
    // source again. A phone that does not receive (hold) is sent RTCP only.
    int set_phone(const RtpPeer &phone);
    bool has_phone() const { return rtp_latch_.expecting(); }
    bool phone_sends() const { return phone_sends_; }

    // Datagrams dropped, by reason.
    struct Drops {
        std::uint64_t unknown_phone = 0;  // before the phone's SDP (or with port 0)
        std::uint64_t rtp_stranger = 0;   // RTP from a source other than the phone's
        std::uint64_t rtcp_stranger = 0;  // RTCP likewise
        std::uint64_t not_rtp = 0;        // too short, or not version 2
        std::uint64_t on_hold = 0;        // RTP to a phone whose SDP says it does not receive
    };
    const Drops &drops() const { return drops_; }

    // Whether it went: nothing goes before the phone's address is known.
    bool send_rtp(struct mbuf *packet);  // false also on hold (counted)
    bool send_rtcp(struct mbuf *packet);

private:
    bool phone_receives_ = true;
    bool phone_sends_ = true;
    void send(struct udp_sock *socket, const SocketReader &reader, const struct sa &to, struct mbuf *packet);
    static void on_rtp(void *self, struct mbuf &packet, const struct sa &source);
    static void on_rtcp(void *self, struct mbuf &packet, const struct sa &source);
    // Whether a datagram of at least `minimum` bytes from `source` is the phone's.
    bool from_phone(SourceLatch &latch, const struct mbuf &packet, std::size_t minimum, const struct sa &source,
                    std::uint64_t &strangers);

    Events &events_;
    std::size_t line_;
    PhoneRing *ring_;
    RePtr<struct udp_sock> rtp_;
    RePtr<struct udp_sock> rtcp_;
    // Declared after the sockets: each reader goes first, taking what the ring holds
    // for its socket along (SocketReader's destructor).
    SocketReader rtp_reader_;
    SocketReader rtcp_reader_;
    SourceLatch rtp_latch_;
    SourceLatch rtcp_latch_;
    Drops drops_;
};

}  // namespace sylk::media
