#include "sip/outgoing_invite.hpp"

#include "sip/session_timer.hpp"
#include "sip/sip_text.hpp"

#include <algorithm>

namespace sylk::sip {

namespace {

const char *const kNoBody = "Content-Length: 0\r\n\r\n";

bool is_method(const struct pl &method, const char *name) { return pl_strcmp(&method, name) == 0; }

}  // namespace

OutgoingInvite::OutgoingInvite(struct ::sip *stack, Spec spec, Events events)
    : stack_(stack), spec_(std::move(spec)), events_(std::move(events)) {}

OutgoingInvite::~OutgoingInvite() {
    if (!ended_ && answered_ && dialog_) {
        // Stateful with no handlers: libre keeps the BYE's transaction until it is done.
        (void)sip_drequestf(nullptr, stack_, true, "BYE", dialog_, 0, nullptr, nullptr, nullptr, nullptr, "%s",
                            kNoBody);
    }
    // A request still waiting for its final answer is CANCELled by libre as it goes
    // (at once, or when its first provisional answer comes), with no handler left.
    mem_deref(invite_);
    for (auto &early : early_) mem_deref(early.dialog);
    mem_deref(dialog_);
    mem_deref(invite_dialog_);
}

int OutgoingInvite::start() {
    const char *routes[1] = {spec_.route ? spec_.route->c_str() : nullptr};
    int err = sip_dialog_alloc(&invite_dialog_, spec_.target.c_str(), spec_.target.c_str(),
                               spec_.from_display_name ? spec_.from_display_name->c_str() : nullptr,
                               spec_.from.c_str(), spec_.route ? routes : nullptr, spec_.route ? 1 : 0);
    return err ? err : send_invite("");
}

const char *OutgoingInvite::call_id() const { return invite_dialog_ ? sip_dialog_callid(invite_dialog_) : ""; }

// The dialog's next CSeq goes on each INVITE: the first, one after a challenge, one after
// a redirect.
int OutgoingInvite::send_invite(const std::string &credentials) {
    credentials_ = credentials;
    // 100rel: a phone that requires reliable provisional answers (a 183 with early media
    // that must not be lost) gets its PRACK (RFC 3262). timer: RFC 4028 session timers.
    std::string timer;
    if (spec_.session_expires)
        timer = "Session-Expires: " + std::to_string(spec_.session_expires) +
                "\r\nMin-SE: " + std::to_string(kMinSessionExpires) + "\r\n";
    return sip_drequestf(&invite_, stack_, true, "INVITE", invite_dialog_, 0, nullptr, contact_handler, response_handler,
                         this,
                         "%sSupported: 100rel%s\r\n%s%sContent-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
                         credentials.c_str(), spec_.session_expires ? ", timer" : "", timer.c_str(),
                         spec_.extra_headers.c_str(), spec_.sdp.size(), spec_.sdp.c_str());
}

int OutgoingInvite::contact_handler(enum sip_transp transport, const struct sa *source, const struct sa *,
                                    struct mbuf *message, void *arg) {
    auto *self = static_cast<OutgoingInvite *>(arg);
    struct sip_contact contact;
    sip_contact_set(&contact, self->spec_.contact_user.c_str(), source, transport);
    return mbuf_printf(message, "%H", sip_contact_print, &contact);
}

void OutgoingInvite::response_handler(int error, const struct sip_msg *answer, void *arg) {
    static_cast<OutgoingInvite *>(arg)->invite_answered(error, answer);
}

void OutgoingInvite::invite_answered(int error, const struct sip_msg *answer) {
    if (error || !answer) return end(error ? error : EPROTO, nullptr);
    if (answer->scode < 200) {
        if (!acknowledge_reliable(*answer)) return;  // a retransmission of a reliable one
        if (events_.provisional) events_.provisional(*answer);
        return;
    }
    // A final answer: libre has let go of the request (invite_ is null again).
    if (sip_request_loops(&loop_state_, answer->scode)) return end(0, answer);
    if (answer->scode < 300) {
        if (int err = confirm_dialog(*answer)) return end(err, nullptr);
        ack_.send(stack_, dialog_, answer->cseq.num);
        answered_ = true;
        if (events_.answered) events_.answered(*answer);
        return;
    }
    if (answer->scode < 400) {  // a redirect: the same dialog, to its first Contact
        if (sip_dialog_update(invite_dialog_, answer) == 0 && send_invite("") == 0) return;
        return end(0, answer);
    }
    if (answer->scode == 422 && spec_.session_expires) {  // our interval is below the far end's Min-SE
        auto least = read_min_se(*answer);
        if (least && *least > spec_.session_expires && *least <= 86400) {
            spec_.session_expires = *least;
            if (send_invite(credentials_) == 0) return;
        }
    }
    if (answer->scode == 401 || answer->scode == 407) {
        auto credentials = events_.challenged ? events_.challenged(*answer) : std::nullopt;
        if (credentials && send_invite(*credentials) == 0) return;
    }
    end(0, answer);
}

// RFC 3262: a provisional answer that requires 100rel carries an RSeq and is sent again
// until our PRACK. Each fork's first one makes its early dialog, each new RSeq is PRACKed
// in it, and a retransmission is not reported again. Returns whether the answer is new.
bool OutgoingInvite::acknowledge_reliable(const struct sip_msg &answer) {
    if (!sip_msg_hdr_has_value(&answer, SIP_HDR_REQUIRE, "100rel")) return true;
    const struct sip_hdr *rseq_header = sip_msg_hdr(&answer, SIP_HDR_RSEQ);
    if (!rseq_header || !pl_isset(&answer.to.tag)) return true;
    std::uint32_t rseq = pl_u32(&rseq_header->val);
    auto early = std::find_if(early_.begin(), early_.end(),
                              [&](const EarlyDialog &known) { return pl_strcmp(&answer.to.tag, known.tag.c_str()) == 0; });
    if (early == early_.end()) {
        struct sip_dialog *dialog = nullptr;
        if (early_.size() >= kMaxEarlyDialogs || sip_dialog_fork(&dialog, invite_dialog_, &answer) != 0) return true;
        early_.push_back({pl_text(answer.to.tag), dialog});
        early = early_.end() - 1;
    } else if (rseq <= early->last_rseq) {
        return false;
    }
    early->last_rseq = rseq;
    (void)sip_drequestf(nullptr, stack_, true, "PRACK", early->dialog, 0, nullptr, nullptr, nullptr, nullptr,
                        "RAck: %u %u INVITE\r\nContent-Length: 0\r\n\r\n", rseq, answer.cseq.num);
    return true;
}

// The 2xx that answers the call (RFC 3261 13.2.2.4): the early dialog of its fork becomes
// the call's, or a new one is made from it; the other forks' early dialogs go. The route
// set of an early dialog stays as its reliable 1xx gave it: a dialog made anew from the
// 2xx would start its CSeq again below the PRACKs already sent in it, and libre cannot
// set it (proxies that Record-Route put themselves on the 1xx and the 2xx alike).
int OutgoingInvite::confirm_dialog(const struct sip_msg &answer) {
    for (auto &early : early_) {
        if (!dialog_ && pl_strcmp(&answer.to.tag, early.tag.c_str()) == 0) {
            dialog_ = early.dialog;
            (void)sip_dialog_update(dialog_, &answer);  // its Contact: the remote target
        } else {
            mem_deref(early.dialog);
        }
    }
    early_.clear();
    if (dialog_) return 0;
    return sip_dialog_fork(&dialog_, invite_dialog_, &answer);
}

bool OutgoingInvite::take_response(const struct sip_msg &response) {
    if (!is_method(response.cseq.met, "INVITE") || response.scode < 200 || response.scode >= 300) return false;
    if (!answered_ || !dialog_) return true;  // ours, but nothing to do with it
    if (sip_dialog_cmp(dialog_, &response)) {
        // The 2xx again: our ACK was lost.
        (void)ack_.send_again(stack_, response.cseq.num);
        return true;
    }
    // A 2xx from another fork (RFC 3261 13.2.2.4): acknowledged, then ended.
    struct sip_dialog *fork = nullptr;
    if (sip_dialog_fork(&fork, invite_dialog_, &response) == 0) {
        (void)sip_drequestf(nullptr, stack_, false, "ACK", fork, response.cseq.num, nullptr, nullptr, nullptr,
                            nullptr, "%s", kNoBody);
        (void)sip_drequestf(nullptr, stack_, true, "BYE", fork, 0, nullptr, nullptr, nullptr, nullptr, "%s", kNoBody);
    }
    mem_deref(fork);
    return true;
}

bool OutgoingInvite::take_request(const struct sip_msg &request) {
    if (!answered_ || ended_ || !dialog_ || !sip_dialog_cmp(dialog_, &request)) return false;
    // Offers in the dialog (re-INVITE, UPDATE, and the ACK to our answer) are the call's
    // DialogUpdates'.
    if (is_method(request.met, "CANCEL") || is_method(request.met, "INVITE") || is_method(request.met, "UPDATE"))
        return false;
    if (is_method(request.met, "ACK")) return true;  // a retransmission of one already taken
    if (!sip_dialog_rseq_valid(dialog_, &request)) {
        (void)sip_reply(stack_, &request, 500, "Server Internal Error");
        return true;
    }
    if (is_method(request.met, "BYE")) {
        (void)sip_reply(stack_, &request, 200, "OK");
        end(0, &request);
        return true;
    }
    if (is_method(request.met, "INFO")) {
        std::uint16_t code = events_.info ? events_.info(request) : 501;
        (void)sip_reply(stack_, &request, code, status_phrase(code));
        return true;
    }
    (void)sip_reply(stack_, &request, 501, "Not Implemented");
    return true;
}

int OutgoingInvite::send_info(const char *content_type, const std::string &body) {
    if (!answered_ || ended_ || !dialog_) return EINVAL;
    // Stateful with no handlers: its answer changes nothing here.
    return sip_drequestf(nullptr, stack_, true, "INFO", dialog_, 0, nullptr, nullptr, nullptr, nullptr,
                         "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s", content_type, body.size(),
                         body.c_str());
}

void OutgoingInvite::end(int error, const struct sip_msg *answer) {
    if (ended_) return;
    ended_ = true;
    if (events_.ended) events_.ended(error, answer);
}

}  // namespace sylk::sip
