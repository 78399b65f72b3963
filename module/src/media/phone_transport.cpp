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

int PhoneTransport::set_phone(const sdp::RtpPeer &phone) {
    if (phone.port == 0 || phone.address.empty()) {
        phone_rtp_.reset();
        phone_rtcp_.reset();
        return 0;
    }
    struct sa address;
    int err = sa_set_str(&address, phone.address.c_str(), phone.port);
    if (err) return err;
    phone_rtp_ = address;
    sa_set_port(&address, static_cast<std::uint16_t>(phone.port + 1));
    phone_rtcp_ = address;
    return 0;
}

void PhoneTransport::on_rtp(void *self, struct mbuf &packet) {
    auto *transport = static_cast<PhoneTransport *>(self);
    if (mbuf_get_left(&packet) >= 12) transport->events_.phone_rtp(transport->line_, &packet);
}

void PhoneTransport::on_rtcp(void *self, struct mbuf &packet) {
    auto *transport = static_cast<PhoneTransport *>(self);
    if (mbuf_get_left(&packet) >= 8) transport->events_.phone_rtcp(transport->line_, &packet);
}

void PhoneTransport::send_rtp(struct mbuf *packet) {
    if (phone_rtp_) send(rtp_.get(), rtp_reader_, *phone_rtp_, packet);
}

void PhoneTransport::send_rtcp(struct mbuf *packet) {
    if (phone_rtcp_) send(rtcp_.get(), rtcp_reader_, *phone_rtcp_, packet);
}

void PhoneTransport::send(struct udp_sock *socket, const SocketReader &reader, const struct sa &to,
                          struct mbuf *packet) {
    if (ring_ && reader.fd() >= 0)
        ring_->send(reader.fd(), to, *packet);  // with the round's others
    else
        udp_send(socket, &to, packet);
}

}  // namespace sylk::media
