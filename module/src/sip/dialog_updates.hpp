// Offers and answers inside an established dialog, both ways (RFC 3261 14, RFC 3311,
// RFC 6337): the far end's re-INVITE or UPDATE waits in its server transaction (after a
// 100 Trying for an INVITE) until the call has decided its answer on the web thread;
// ours goes out as a re-INVITE, is sent again after a 491 (glare) and its 2xx is ACKed.
// One per answered call, on the dialog of the call's INVITE (ours or the far end's).
// Libre thread only; reports through DialogUpdates::Events.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <re.h>

#include "sip/sent_ack.hpp"

namespace sylk::sip {

class DialogUpdates {
public:
    // How long the far end's offer waits for the call's answer (which may wait for the
    // browser's own answer) before it gets 488.
    static constexpr std::uint32_t kAnswerWaitMs = 20000;

    struct Events {
        // The far end's offer, to be answered with answer(`seq`, ...). Empty `sdp`: a
        // re-INVITE without one asks for our offer (its answer comes in the ACK).
        std::function<void(std::uint32_t seq, const std::string &sdp)> offered;
        // The ACK to our 200 for a re-INVITE without an offer: the far end's answer.
        std::function<void(std::uint32_t seq, const std::string &sdp)> answered_in_ack;
        // The call gave no answer to offer `seq` within kAnswerWaitMs: it got 488.
        std::function<void(std::uint32_t seq)> offer_expired;
        // Our re-INVITE's final answer: a 2xx and its SDP, or another code and its reason.
        std::function<void(std::uint16_t code, const std::string &reason, const std::string &sdp)> update_answered;

        // Session timers (RFC 4028, sip/session_timer): header lines for our re-INVITEs,
        // UPDATEs and 2xx answers (the far end's request given); every 2xx either way is a
        // refresh (the far end's request, or the answer to ours); a refresh of ours that
        // failed (its code, 408 when it timed out).
        std::function<std::string()> request_headers;
        std::function<std::string(const struct sip_msg &request)> answer_headers;
        std::function<void(const struct sip_msg &message)> refreshed;
        std::function<void(std::uint16_t code, const struct sip_msg *response)> refresh_failed;
    };

    // `dialog` is referenced, not owned. `call_id_owner`: we sent the dialog's first
    // INVITE, which sets how long to wait before trying again after a 491 (RFC 3261 14.1).
    DialogUpdates(struct ::sip *stack, struct sip_dialog *dialog, std::string contact_user, bool call_id_owner,
                  Events events);
    // A far-end offer still unanswered gets 500; our re-INVITE is let go (no event).
    ~DialogUpdates();
    DialogUpdates(const DialogUpdates &) = delete;
    DialogUpdates &operator=(const DialogUpdates &) = delete;

    // Requests and responses of this dialog: true when taken (a re-INVITE, an UPDATE,
    // the ACK of our 200 to a re-INVITE; a retransmitted 2xx to our re-INVITE).
    bool take_request(const struct sip_msg &request);
    bool take_response(const struct sip_msg &response);

    // The call's answer to the far end's offer `seq`: 2xx with `sdp` (our answer, or our
    // offer when it came without one), or a failure code (488) that changes nothing.
    void answer(std::uint32_t seq, std::uint16_t code, const std::string &sdp);
    // Sends our offer in a re-INVITE. EALREADY while an offer is open either way (the
    // call waits for its outcome first).
    int offer(const std::string &sdp);
    bool busy() const { return remote_pending() || local_ != nullptr || local_retry_pending_ || refresh_ != nullptr; }
    // A session refresh of ours: an UPDATE without a body, or a re-INVITE with `sdp` (the
    // description already agreed). EALREADY while another offer is open.
    int refresh(bool by_update, const std::string &sdp);

private:
    bool remote_pending() const { return remote_transaction_ != nullptr; }
    void take_offer(const struct sip_msg &request);
    int send_offer();
    void offer_answered(int error, const struct sip_msg *response);
    void repeat_answer_until_ack(struct mbuf *answer, const struct sip_msg &request);
    void stop_repeating_answer();
    static void repeat_answer(void *arg);
    static void retry_offer(void *arg);
    static void remote_cancelled(void *arg);
    static void answer_overdue(void *arg);
    void close_remote();  // forgets the far end's offer once its final answer went
    static void response_handler(int error, const struct sip_msg *response, void *arg);
    static void refresh_response_handler(int error, const struct sip_msg *response, void *arg);
    void refresh_answered(int error, const struct sip_msg *response);
    std::string request_headers() const { return events_.request_headers ? events_.request_headers() : ""; }
    static int contact_handler(enum sip_transp transport, const struct sa *source, const struct sa *destination,
                               struct mbuf *message, void *arg);

    struct ::sip *stack_;
    struct sip_dialog *dialog_;
    std::string contact_user_;
    bool call_id_owner_;
    Events events_;
    std::uint32_t next_seq_ = 1;

    // The far end's offer, while the call decides its answer.
    struct sip_strans *remote_transaction_ = nullptr;
    const struct sip_msg *remote_request_ = nullptr;  // referenced while the transaction is open
    std::uint32_t remote_seq_ = 0;
    struct tmr answer_deadline_{};
    // Our 200 to a re-INVITE, sent again until its ACK (UDP; RFC 3261 13.3.1.4).
    struct mbuf *answer_ = nullptr;
    struct sa answer_destination_{};
    std::uint32_t answer_cseq_ = 0;
    std::uint32_t answer_seq_ = 0;
    bool answer_was_offer_ = false;  // the re-INVITE had no SDP: the ACK carries the answer
    std::uint32_t answer_interval_ms_ = 0;
    std::uint32_t answer_waited_ms_ = 0;
    struct tmr answer_timer_{};

    // Our session refresh.
    struct sip_request *refresh_ = nullptr;
    bool refresh_by_update_ = false;
    std::string refresh_sdp_;

    // Our re-INVITE.
    struct sip_request *local_ = nullptr;
    std::string local_sdp_;
    bool local_retry_pending_ = false;
    struct tmr retry_timer_{};
    SentAck ack_;  // to our last re-INVITE's 2xx
};

}  // namespace sylk::sip
