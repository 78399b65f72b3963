#include "media/phone_transport.hpp"

#include <cerrno>

namespace sylk::media {

PhoneTransport::PhoneTransport(Events &events, std::size_t line, PhoneRing *ring)
    : events_(events), line_(line), ring_(ring), rtp_reader_(&PhoneTransport::on_rtp, this, ring),
      rtcp_reader_(&PhoneTransport::on_rtcp, this, ring) {}

PhoneTransport::~PhoneTransport() = default;

int PhoneTransport::listen(const struct sa &local, std::uint16_t rtp_port) {
    struct sa address = local;
    sa_set_port(&address, rtp_port);
    struct udp_sock *socket = nullptr;
    int err = udp_listen(&socket, &address, nullptr, nullptr);
    if (err) return err;
    rtp_.reset(socket);
    err = rtp_reader_.attach(socket, sa_af(&address));
    if (err) return err;
    sa_set_port(&address, static_cast<std::uint16_t>(rtp_port + 1));
    err = udp_listen(&socket, &address, nullptr, nullptr);
    if (err) return err;
    rtcp_.reset(socket);
    return rtcp_reader_.attach(socket, sa_af(&address));
}

int PhoneTransport::set_phone(const RtpPeer &phone) {
    phone_receives_ = phone.receives;
    phone_sends_ = phone.sends;
    if (phone.port == 0 || phone.address.empty()) {
        rtp_latch_.clear();
        rtcp_latch_.clear();
        return 0;
    }
    struct sa address;
    int err = sa_set_str(&address, phone.address.c_str(), phone.port);
    if (err) return err;
    rtp_latch_.expect(address, !phone.learn_only);
    sa_set_port(&address, static_cast<std::uint16_t>(phone.port + 1));
    rtcp_latch_.expect(address, !phone.learn_only);
    return 0;
}

bool PhoneTransport::from_phone(SourceLatch &latch, const struct mbuf &packet, std::size_t minimum,
                                const struct sa &source, std::uint64_t &strangers) {
    // Junk is not learnt from: RTP and RTCP are version 2.
    if (mbuf_get_left(&packet) < minimum || (packet.buf[packet.pos] >> 6) != 2) {
        ++drops_.not_rtp;
        return false;
    }
    if (!latch.expecting()) {
        ++drops_.unknown_phone;
        return false;
    }
    // The clock only while learning: afterwards a packet costs one address comparison.
    if (!latch.take(source, latch.learning() ? tmr_jiffies() : 0)) {
        ++strangers;
        return false;
    }
    return true;
}

void PhoneTransport::on_rtp(void *self, struct mbuf &packet, const struct sa &source) {
    auto *transport = static_cast<PhoneTransport *>(self);
    if (transport->from_phone(transport->rtp_latch_, packet, 12, source, transport->drops_.rtp_stranger))
        transport->events_.phone_rtp(transport->line_, &packet);
}

void PhoneTransport::on_rtcp(void *self, struct mbuf &packet, const struct sa &source) {
    auto *transport = static_cast<PhoneTransport *>(self);
    if (transport->from_phone(transport->rtcp_latch_, packet, 8, source, transport->drops_.rtcp_stranger))
        transport->events_.phone_rtcp(transport->line_, &packet);
}

bool PhoneTransport::send_rtp(struct mbuf *packet) {
    if (!phone_receives_) {
        ++drops_.on_hold;
        return false;
    }
    const struct sa *to = rtp_latch_.destination();
    if (to) send(rtp_.get(), rtp_reader_, *to, packet);
    return to != nullptr;
}

// A phone that sends no RTCP (or not yet) gets ours next to where its RTP comes from,
// once that is known, rather than at its SDP's address: behind NAT, that is a private one.
bool PhoneTransport::send_rtcp(struct mbuf *packet) {
    const struct sa *to = rtcp_latch_.latched() ? rtcp_latch_.destination() : nullptr;
    struct sa beside_rtp;
    if (!to && rtp_latch_.latched()) {
        beside_rtp = *rtp_latch_.destination();
        sa_set_port(&beside_rtp, static_cast<std::uint16_t>(sa_port(&beside_rtp) + 1));
        to = &beside_rtp;
    }
    if (!to) to = rtcp_latch_.destination();
    if (to) send(rtcp_.get(), rtcp_reader_, *to, packet);
    return to != nullptr;
}

void PhoneTransport::send(struct udp_sock *socket, const SocketReader &reader, const struct sa &to,
                          struct mbuf *packet) {
    if (ring_ && reader.fd() >= 0)
        ring_->send(reader.fd(), to, *packet);  // with the round's others
    else
        udp_send(socket, &to, packet);
}

}  // namespace sylk::media
