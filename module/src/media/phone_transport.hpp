// The phone's side of one bridged m-line: plain RTP on an even port and RTCP on the
// next, from the configured range, sending to where the phone's SDP said it receives.
// Both sockets are read by a SocketReader (not libre's udp_read), so a packet from the
// phone lies in a reader's buffer while it is relayed. With the worker's PhoneRing, the
// reads and the sends wait for the end of the loop round and go with everyone else's.
// Lives on one media worker thread; every callback comes on it.
#pragma once

#include "media/phone_ring.hpp"
#include "media/re_ptr.hpp"
#include "media/socket_reader.hpp"
#include "sdp/media_plan.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

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
    // of 0 sends nothing.
    int set_phone(const sdp::RtpPeer &phone);
    bool has_phone() const { return phone_rtp_.has_value(); }

    void send_rtp(struct mbuf *packet);
    void send_rtcp(struct mbuf *packet);

private:
    void send(struct udp_sock *socket, const SocketReader &reader, const struct sa &to, struct mbuf *packet);
    static void on_rtp(void *self, struct mbuf &packet);
    static void on_rtcp(void *self, struct mbuf &packet);

    Events &events_;
    std::size_t line_;
    PhoneRing *ring_;
    RePtr<struct udp_sock> rtp_;
    RePtr<struct udp_sock> rtcp_;
    // Declared after the sockets: each reader goes first, taking what the ring holds
    // for its socket along (SocketReader's destructor).
    SocketReader rtp_reader_;
    SocketReader rtcp_reader_;
    std::optional<struct sa> phone_rtp_;
    std::optional<struct sa> phone_rtcp_;
};

}  // namespace sylk::media
