#include "sip/sent_ack.hpp"

namespace sylk::sip {

void SentAck::send(struct ::sip *stack, struct sip_dialog *dialog, std::uint32_t cseq) {
    cseq_ = cseq;
    bytes_ = static_cast<struct mbuf *>(mem_deref(bytes_));
    (void)sip_drequestf(nullptr, stack, false, "ACK", dialog, cseq, nullptr, keep, nullptr, this,
                        "Content-Length: 0\r\n\r\n");
}

bool SentAck::send_again(struct ::sip *stack, std::uint32_t cseq) const {
    if (!sent_for(cseq)) return false;
    if (bytes_) (void)sip_send(stack, nullptr, transport_, &destination_, bytes_);
    return true;
}

int SentAck::keep(enum sip_transp transport, const struct sa *, const struct sa *destination, struct mbuf *message,
                  void *arg) {
    auto *self = static_cast<SentAck *>(arg);
    mem_deref(self->bytes_);
    self->bytes_ = static_cast<struct mbuf *>(mem_ref(message));
    self->destination_ = *destination;
    self->transport_ = transport;
    return 0;
}

}  // namespace sylk::sip
