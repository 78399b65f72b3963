#include "sip/dialog_updates.hpp"

#include "sip/sip_text.hpp"

#include <algorithm>
#include <cstring>

namespace sylk::sip {

namespace {

bool is_method(const struct pl &method, const char *name) { return pl_strcmp(&method, name) == 0; }

// How long to wait before sending our re-INVITE again after a 491 (RFC 3261 14.1): the
// Call-ID's owner waits 2.1-4 s, the other side 0-2 s, so that the two do not meet again.
std::uint32_t glare_wait_ms(bool call_id_owner) {
    std::uint32_t ten_ms_steps = rand_u32() % 200;
    return call_id_owner ? 2100 + ten_ms_steps * 19 / 2 : ten_ms_steps * 10;
}

}  // namespace

DialogUpdates::DialogUpdates(struct ::sip *stack, struct sip_dialog *dialog, std::string contact_user,
                             bool call_id_owner, Events events)
    : stack_(stack), dialog_(static_cast<struct sip_dialog *>(mem_ref(dialog))), contact_user_(std::move(contact_user)),
      call_id_owner_(call_id_owner), events_(std::move(events)) {}

DialogUpdates::~DialogUpdates() {
    if (remote_transaction_)
        (void)sip_treplyf(&remote_transaction_, nullptr, stack_, remote_request_, false, 500, "Server Internal Error",
                          "Content-Length: 0\r\n\r\n");
    mem_deref(remote_transaction_);
    mem_deref(const_cast<struct sip_msg *>(remote_request_));
    tmr_cancel(&answer_deadline_);
    stop_repeating_answer();
    tmr_cancel(&retry_timer_);
    mem_deref(local_);  // libre keeps the transaction until it is done, with no handler left
    mem_deref(refresh_);
    mem_deref(dialog_);
}

bool DialogUpdates::take_request(const struct sip_msg &request) {
    if (!sip_dialog_cmp(dialog_, &request)) return false;
    if (is_method(request.met, "ACK")) {
        if (request.cseq.num != answer_cseq_ || !answer_cseq_) return false;
        bool answer_expected = answer_was_offer_;
        std::uint32_t seq = answer_seq_;
        stop_repeating_answer();
        answer_cseq_ = 0;
        if (answer_expected && events_.answered_in_ack) events_.answered_in_ack(seq, message_body(&request));
        return true;
    }
    if (!is_method(request.met, "INVITE") && !is_method(request.met, "UPDATE")) return false;
    take_offer(request);
    return true;
}

void DialogUpdates::take_offer(const struct sip_msg &request) {
    if (!sip_dialog_rseq_valid(dialog_, &request)) {
        (void)sip_reply(stack_, &request, 500, "Server Internal Error");
        return;
    }
    // One offer at a time (RFC 3261 14.2, RFC 3311 5.2): a second one from the far end
    // waits and tries again; one that crosses ours is glare.
    if (remote_pending() || (answer_ && is_method(request.met, "INVITE"))) {
        (void)sip_treplyf(nullptr, nullptr, stack_, &request, false, 500, "Server Internal Error",
                          "Retry-After: %u\r\nContent-Length: 0\r\n\r\n", rand_u32() % 10);
        return;
    }
    if (local_ || local_retry_pending_ || (refresh_ && !refresh_by_update_)) {
        (void)sip_reply(stack_, &request, 491, "Request Pending");
        return;
    }
    // A target refresh: the Contact is where the dialog's requests go from now on.
    (void)sip_dialog_update(dialog_, &request);
    bool invite = is_method(request.met, "INVITE");
    std::string sdp = message_body(&request);
    if (!invite && sdp.empty()) {  // an UPDATE without an offer: a session refresh
        std::string headers = events_.answer_headers ? events_.answer_headers(request) : "";
        (void)sip_treplyf(nullptr, nullptr, stack_, &request, false, 200, "OK", "%sContent-Length: 0\r\n\r\n",
                          headers.c_str());
        if (events_.refreshed) events_.refreshed(request);
        return;
    }
    if (sip_strans_alloc(&remote_transaction_, stack_, &request, invite ? remote_cancelled : nullptr, this) != 0) {
        (void)sip_reply(stack_, &request, 500, "Server Internal Error");
        return;
    }
    remote_request_ = static_cast<const struct sip_msg *>(mem_ref(const_cast<struct sip_msg *>(&request)));
    remote_seq_ = next_seq_++;
    // The answer takes a trip to the web thread: the far end stops retransmitting meanwhile.
    if (invite)
        (void)sip_treplyf(&remote_transaction_, nullptr, stack_, &request, false, 100, "Trying",
                          "Content-Length: 0\r\n\r\n");
    tmr_start(&answer_deadline_, kAnswerWaitMs, answer_overdue, this);
    if (events_.offered) events_.offered(remote_seq_, sdp);
}

// The far end CANCELled its re-INVITE before our answer (libre has answered the CANCEL).
void DialogUpdates::remote_cancelled(void *arg) {
    auto *self = static_cast<DialogUpdates *>(arg);
    if (!self->remote_transaction_) return;
    (void)sip_treplyf(&self->remote_transaction_, nullptr, self->stack_, self->remote_request_, false, 487,
                      "Request Terminated", "Content-Length: 0\r\n\r\n");
    self->close_remote();
}

void DialogUpdates::answer_overdue(void *arg) {
    auto *self = static_cast<DialogUpdates *>(arg);
    if (!self->remote_transaction_) return;
    std::uint32_t seq = self->remote_seq_;
    (void)sip_treplyf(&self->remote_transaction_, nullptr, self->stack_, self->remote_request_, false, 488,
                      "Not Acceptable Here", "Content-Length: 0\r\n\r\n");
    self->close_remote();
    if (self->events_.offer_expired) self->events_.offer_expired(seq);
}

void DialogUpdates::close_remote() {
    tmr_cancel(&answer_deadline_);
    remote_transaction_ = nullptr;  // a final answer: libre's timers own the transaction now
    remote_request_ = static_cast<const struct sip_msg *>(mem_deref(const_cast<struct sip_msg *>(remote_request_)));
}

void DialogUpdates::answer(std::uint32_t seq, std::uint16_t code, const std::string &sdp) {
    if (!remote_transaction_ || seq != remote_seq_) return;  // cancelled, or answered already
    const struct sip_msg &request = *remote_request_;
    if (code >= 300) {
        (void)sip_treplyf(&remote_transaction_, nullptr, stack_, &request, false, code, status_phrase(code),
                          "Content-Length: 0\r\n\r\n");
    } else {
        struct sip_contact contact;
        sip_contact_set(&contact, contact_user_.c_str(), &request.dst, request.tp);
        struct mbuf *answer = nullptr;
        bool invite = is_method(request.met, "INVITE");
        std::string headers = events_.answer_headers ? events_.answer_headers(request) : "";
        int err = sip_treplyf(&remote_transaction_, &answer, stack_, &request, true, 200, "OK",
                              "%H%sContent-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", sip_contact_print,
                              &contact, headers.c_str(), sdp.size(), sdp.c_str());
        if (err == 0 && events_.refreshed) events_.refreshed(request);
        if (err == 0 && invite) {
            answer_seq_ = seq;
            answer_was_offer_ = message_body(&request).empty();
            answer_cseq_ = request.cseq.num;
            repeat_answer_until_ack(answer, request);
        } else {
            mem_deref(answer);
        }
    }
    close_remote();
}

// Libre's server transaction absorbs the retransmitted re-INVITE once it has a 2xx:
// the 2xx itself goes again until the ACK, T1 doubling up to T2, for 64 T1 (Timer H).
void DialogUpdates::repeat_answer_until_ack(struct mbuf *answer, const struct sip_msg &request) {
    stop_repeating_answer();
    if (request.tp != SIP_TRANSP_UDP) {  // a reliable transport carries it once
        mem_deref(answer);
        return;
    }
    answer_ = answer;
    // Where libre sent it: the source port too when the Via asks for rport (RFC 3581).
    struct pl rport;
    sip_reply_addr(&answer_destination_, &request, msg_param_exists(&request.via.params, "rport", &rport) == 0);
    answer_interval_ms_ = SIP_T1;
    answer_waited_ms_ = 0;
    tmr_start(&answer_timer_, answer_interval_ms_, repeat_answer, this);
}

void DialogUpdates::repeat_answer(void *arg) {
    auto *self = static_cast<DialogUpdates *>(arg);
    self->answer_waited_ms_ += self->answer_interval_ms_;
    if (self->answer_waited_ms_ >= 64 * SIP_T1) return self->stop_repeating_answer();  // no ACK came
    (void)sip_send(self->stack_, nullptr, SIP_TRANSP_UDP, &self->answer_destination_, self->answer_);
    self->answer_interval_ms_ = std::min<std::uint32_t>(2 * self->answer_interval_ms_, SIP_T2);
    tmr_start(&self->answer_timer_, self->answer_interval_ms_, repeat_answer, self);
}

void DialogUpdates::stop_repeating_answer() {
    tmr_cancel(&answer_timer_);
    answer_ = static_cast<struct mbuf *>(mem_deref(answer_));
}

int DialogUpdates::offer(const std::string &sdp) {
    if (busy()) return EALREADY;
    local_sdp_ = sdp;
    return send_offer();
}

int DialogUpdates::send_offer() {
    std::string headers = request_headers();
    return sip_drequestf(&local_, stack_, true, "INVITE", dialog_, 0, nullptr, contact_handler, response_handler, this,
                         "%sContent-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", headers.c_str(),
                         local_sdp_.size(), local_sdp_.c_str());
}

int DialogUpdates::refresh(bool by_update, const std::string &sdp) {
    if (busy()) return EALREADY;
    refresh_by_update_ = by_update;
    refresh_sdp_ = sdp;
    std::string headers = request_headers();
    if (by_update)
        return sip_drequestf(&refresh_, stack_, true, "UPDATE", dialog_, 0, nullptr, contact_handler,
                             refresh_response_handler, this, "%sContent-Length: 0\r\n\r\n", headers.c_str());
    return sip_drequestf(&refresh_, stack_, true, "INVITE", dialog_, 0, nullptr, contact_handler,
                         refresh_response_handler, this,
                         "%sContent-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", headers.c_str(),
                         refresh_sdp_.size(), refresh_sdp_.c_str());
}

void DialogUpdates::refresh_response_handler(int error, const struct sip_msg *response, void *arg) {
    static_cast<DialogUpdates *>(arg)->refresh_answered(error, response);
}

void DialogUpdates::refresh_answered(int error, const struct sip_msg *response) {
    if (!error && response && response->scode < 200) return;
    refresh_ = nullptr;
    if (error || !response) {
        if (events_.refresh_failed) events_.refresh_failed(408, nullptr);
        return;
    }
    if (response->scode < 300) {
        (void)sip_dialog_update(dialog_, response);
        if (!refresh_by_update_) ack_.send(stack_, dialog_, response->cseq.num);
        if (events_.refreshed) events_.refreshed(*response);
        return;
    }
    if (events_.refresh_failed) events_.refresh_failed(response->scode, response);
}

int DialogUpdates::contact_handler(enum sip_transp transport, const struct sa *source, const struct sa *,
                                   struct mbuf *message, void *arg) {
    auto *self = static_cast<DialogUpdates *>(arg);
    struct sip_contact contact;
    sip_contact_set(&contact, self->contact_user_.c_str(), source, transport);
    return mbuf_printf(message, "%H", sip_contact_print, &contact);
}

void DialogUpdates::response_handler(int error, const struct sip_msg *response, void *arg) {
    static_cast<DialogUpdates *>(arg)->offer_answered(error, response);
}

void DialogUpdates::offer_answered(int error, const struct sip_msg *response) {
    if (!error && response && response->scode < 200) return;
    local_ = nullptr;  // a final answer: libre has let go of the request
    if (error || !response) {
        if (events_.update_answered) events_.update_answered(408, "408 Request Timeout", {});
        return;
    }
    if (response->scode < 300) {
        (void)sip_dialog_update(dialog_, response);  // its Contact: a target refresh
        ack_.send(stack_, dialog_, response->cseq.num);
        if (events_.refreshed) events_.refreshed(*response);
        if (events_.update_answered) events_.update_answered(response->scode, "200 OK", message_body(response));
        return;
    }
    if (response->scode == 491) {  // glare: ours crossed the far end's; try again later
        local_retry_pending_ = true;
        tmr_start(&retry_timer_, glare_wait_ms(call_id_owner_), retry_offer, this);
        return;
    }
    if (events_.update_answered)
        events_.update_answered(response->scode, std::to_string(response->scode) + " " + pl_text(response->reason), {});
}

void DialogUpdates::retry_offer(void *arg) {
    auto *self = static_cast<DialogUpdates *>(arg);
    self->local_retry_pending_ = false;
    if (self->remote_pending()) {  // the far end's offer is still being answered: wait again
        self->local_retry_pending_ = true;
        tmr_start(&self->retry_timer_, glare_wait_ms(self->call_id_owner_), retry_offer, self);
        return;
    }
    if (int err = self->send_offer(); err && self->events_.update_answered)
        self->events_.update_answered(500, std::string("500 ") + std::strerror(err), {});
}

bool DialogUpdates::take_response(const struct sip_msg &response) {
    if (!is_method(response.cseq.met, "INVITE") || response.scode < 200 || response.scode >= 300) return false;
    if (!ack_.sent_for(response.cseq.num) || !sip_dialog_cmp(dialog_, &response)) return false;
    return ack_.send_again(stack_, response.cseq.num);  // our ACK was lost
}

}  // namespace sylk::sip
