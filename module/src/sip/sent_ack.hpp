// The ACK to a 2xx of ours, as it went out: libre sends it statelessly (it is its own
// transaction), and it must go again, byte for byte, for each retransmission of that 2xx
// (RFC 3261 13.2.2.4). Used by OutgoingInvite (its INVITE) and DialogUpdates (our
// re-INVITEs). Libre thread only.
#pragma once

#include <cstdint>

#include <re.h>

namespace sylk::sip {

class SentAck {
public:
    SentAck() = default;
    ~SentAck() { mem_deref(bytes_); }
    SentAck(const SentAck &) = delete;
    SentAck &operator=(const SentAck &) = delete;

    // Sends the ACK with CSeq `cseq` in `dialog`, keeping what went out.
    void send(struct ::sip *stack, struct sip_dialog *dialog, std::uint32_t cseq);
    // The 2xx with CSeq `cseq` came again: the ACK goes again. False when it was not ours.
    bool send_again(struct ::sip *stack, std::uint32_t cseq) const;
    bool sent_for(std::uint32_t cseq) const { return cseq_ != 0 && cseq == cseq_; }

private:
    static int keep(enum sip_transp transport, const struct sa *source, const struct sa *destination,
                    struct mbuf *message, void *arg);

    std::uint32_t cseq_ = 0;
    struct mbuf *bytes_ = nullptr;
    struct sa destination_{};
    enum sip_transp transport_ = SIP_TRANSP_NONE;
};

}  // namespace sylk::sip
