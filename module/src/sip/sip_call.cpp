#include "sip/sip_call.hpp"

#include "sip/digest.hpp"
#include "sip/dtmf_relay.hpp"
#include "sip/incoming_invite.hpp"
#include "sip/invite_challenge.hpp"
#include "sip/sip_text.hpp"

#include <cstring>

namespace sylk::sip {

namespace {

struct mbuf *sdp_buffer(const std::string &sdp) {
    struct mbuf *buffer = mbuf_alloc(sdp.size() + 1);
    if (!buffer) return nullptr;
    mbuf_write_str(buffer, sdp.c_str());
    buffer->pos = 0;
    return buffer;
}

// sipsess answers a challenge only from a plain password, and an incoming call's session
// has none to give (its own requests, a BYE, are not challenged by the proxy that sent the call).
int refuse_plain_password(char **, char **, const char *, void *) { return EAUTH; }

}  // namespace

SipCall::SipCall(const CallContext &context, OutgoingCallSpec spec, std::string contact_user)
    : context_(context), id_(spec.id), outgoing_(true), spec_(std::move(spec)), contact_user_(std::move(contact_user)),
      timer_({[this] { refresh_session(); }, [this](const std::string &reason) { end_with(reason); }}) {
    connect();
}

SipCall::SipCall(const CallContext &context, CallId id, BindingId binding, const struct sip_msg *invite,
                 std::string contact_user)
    : context_(context), id_(id), outgoing_(false), contact_user_(std::move(contact_user)),
      timer_({[this] { refresh_session(); }, [this](const std::string &reason) { end_with(reason); }}) {
    // RFC 4028 5: an interval below the least we take is refused with the least we take.
    auto expires = read_session_expires(*invite);
    if (expires && expires->seconds < kMinSessionExpires) {
        (void)sip_treplyf(nullptr, nullptr, context_.stack, invite, false, 422, "Session Interval Too Small",
                          "Min-SE: %u\r\nContent-Length: 0\r\n\r\n", kMinSessionExpires);
        finished_ = true;  // never told: the web side has not heard of it
        context_.finished(id_);
        return;
    }
    peer_supports_timer_ = supports_timer(*invite);
    peer_allows_update_ = sip_msg_hdr_has_value(invite, SIP_HDR_ALLOW, "UPDATE");
    if (expires) {
        // Its refresher if it names one; else we refresh (RFC 4028 9: ours to choose, and
        // ours alone when it does not support timers).
        bool phone_refreshes = peer_supports_timer_ && expires->refresher == std::string("uac");
        timer_.settle(0, !phone_refreshes);  // the terms; the timer starts with our 200
        pending_session_expires_ = expires->seconds;
    }
    int err = sipsess_accept(&session_, context_.sessions, invite, 180, "Ringing", contact_user_.c_str(),
                             "application/sdp", nullptr, refuse_plain_password, nullptr, false, offer_handler,
                             answer_handler, established_handler, info_handler, nullptr, close_handler, this, "");
    if (err) {
        (void)sip_treplyf(nullptr, nullptr, context_.stack, invite, false, 500, "Server Internal Error",
                          "Content-Length: 0\r\n\r\n");
        finish(std::string("500 cannot accept the call: ") + std::strerror(err));
        return;
    }
    CallUpdate update;
    update.id = id_;
    update.kind = CallUpdate::Kind::incoming;
    update.binding = binding;
    IncomingCaller caller = describe_incoming_invite(*invite);
    update.originator = std::move(caller.originator);
    update.display_name = std::move(caller.display_name);
    update.sdp = std::move(caller.sdp);
    update.call_id = std::move(caller.call_id);
    update.headers = std::move(caller.headers);
    context_.sink(update);
}

SipCall::~SipCall() {
    tmr_cancel(&end_timer_);
    // What is still open here belongs to a call ended by the agent's shutdown: letting
    // go of it sends the CANCEL, BYE or 486 that ends it at the far end.
    drop_invite();
    mem_deref(session_);
    mem_deref(retired_);
}

void SipCall::connect() {
    const OutgoingCallSpec &spec = *spec_;
    OutgoingInvite::Spec invite{spec.target, "sip:" + spec.user + "@" + spec.domain, std::nullopt, contact_user_,
                                context_.route, spec.sdp, 0, {}};
    // libre writes the quotes around the display name itself.
    if (spec.display_name) invite.from_display_name = quoted_string_content(*spec.display_name);
    OutgoingInvite::Events events;
    events.provisional = [this](const struct sip_msg &message) {
        context_.provisional(id_);
        if (message.scode > 100) report_answer(CallUpdate::Kind::progress, message);
    };
    events.answered = [this](const struct sip_msg &message) {
        answered_ = true;
        last_local_sdp_ = spec_->sdp;
        peer_allows_update_ = sip_msg_hdr_has_value(&message, SIP_HDR_ALLOW, "UPDATE");
        peer_supports_timer_ = supports_timer(message);
        adopt_session_expires(message, true);
        start_updates(invite_->dialog());
        report_answer(CallUpdate::Kind::answered, message);
    };
    events.challenged = [this](const struct sip_msg &message) { return answer_challenge(message); };
    events.ended = [this](int err, const struct sip_msg *message) { outgoing_ended(err, message); };
    events.info = [this](const struct sip_msg &message) { return info_received(message); };
    invite.session_expires = kSessionExpires;
    invite.extra_headers = spec.extra_headers;
    invite_ = std::make_unique<OutgoingInvite>(context_.stack, std::move(invite), std::move(events));
    if (int err = invite_->start()) {
        invite_.reset();
        return finish(local_failure_reason(err, "500 cannot place the call: "));
    }
    call_id_ = invite_->call_id();
    context_.dialogs[call_id_] = this;
}

void SipCall::drop_invite() {
    stop_updates();
    if (!call_id_.empty()) context_.dialogs.erase(call_id_);
    call_id_.clear();
    invite_.reset();
}

void SipCall::start_updates(struct sip_dialog *dialog) {
    if (!dialog || updates_) return;
    DialogUpdates::Events events;
    events.offered = [this](std::uint32_t seq, const std::string &sdp) { report_offer(CallUpdate::Kind::reoffer, seq, sdp); };
    events.answered_in_ack = [this](std::uint32_t seq, const std::string &sdp) {
        report_offer(CallUpdate::Kind::reoffer_acked, seq, sdp);
    };
    events.offer_expired = [this](std::uint32_t seq) { report_offer(CallUpdate::Kind::reoffer_expired, seq, {}); };
    events.update_answered = [this](std::uint16_t code, const std::string &reason, const std::string &sdp) {
        if (code < 300) last_local_sdp_ = offered_sdp_;
        CallUpdate update = update_of(CallUpdate::Kind::update_answered);
        update.status = code;
        update.reason = reason;
        update.sdp = sdp;
        context_.sink(update);
    };
    events.request_headers = [this] {
        return timer_.active() ? timer_.header(true) + "Supported: timer\r\n" : std::string();
    };
    events.answer_headers = [this](const struct sip_msg &request) {
        adopt_session_expires(request, false);
        if (!timer_.active()) return std::string();
        return timer_.header(false) + (supports_timer(request) ? "Require: timer\r\n" : "");
    };
    events.refreshed = [this](const struct sip_msg &message) {
        if (!message.req) adopt_session_expires(message, true);
        timer_.refreshed();
    };
    events.refresh_failed = [this](std::uint16_t code, const struct sip_msg *response) {
        session_refresh_failed(code, response);
    };
    updates_ = std::make_unique<DialogUpdates>(context_.stack, dialog, contact_user_, outgoing_, std::move(events));
    if (call_id_.empty()) {  // incoming: its re-INVITEs reach it before sipsess's listener
        call_id_ = sip_dialog_callid(dialog);
        context_.dialogs[call_id_] = this;
    }
}

void SipCall::stop_updates() { updates_.reset(); }

void SipCall::report_offer(CallUpdate::Kind kind, std::uint32_t seq, const std::string &sdp) {
    CallUpdate update = update_of(kind);
    update.sdp = sdp;
    update.update_seq = seq;
    context_.sink(update);
}

bool SipCall::take_request(const struct sip_msg &request) {
    if (updates_ && updates_->take_request(request)) return true;
    return invite_ && invite_->take_request(request);
}

bool SipCall::take_response(const struct sip_msg &response) {
    if (updates_ && updates_->take_response(response)) return true;
    return invite_ && invite_->take_response(response);
}

void SipCall::answer_update(std::uint32_t update_seq, std::uint16_t code, const std::string &sdp) {
    if (!updates_ || finished_) return;
    if (code < 300) last_local_sdp_ = sdp;
    updates_->answer(update_seq, code, sdp);
}

void SipCall::update(const std::string &sdp) {
    int err = updates_ && !finished_ ? updates_->offer(sdp) : EINVAL;
    if (err == 0) {
        offered_sdp_ = sdp;
        return;
    }
    // Told as an answer, so that the call knows its offer went nowhere.
    CallUpdate update;
    update.id = id_;
    update.kind = CallUpdate::Kind::update_answered;
    update.status = err == EALREADY ? 491 : 500;
    update.reason = err == EALREADY ? "491 Request Pending" : std::string("500 ") + std::strerror(err);
    context_.sink(update);
}

// RFC 3263 4.3 and RFC 3261 8.1.3.1: a destination that does not resolve, or a
// transport that fails, counts as a 503 from the far end; what our side failed to
// resolve is named, as a "DNS error" registration does.
std::string SipCall::local_failure_reason(int err, const char *otherwise) const {
    switch (err) {
    case ETIMEDOUT: return "408 Request Timeout";
    case EDESTADDRREQ:
    case ENOENT:
    case ENODATA:
    case ESRCH: {
        std::string what = "the caller's address";
        if (context_.route) {
            what = "the outbound proxy " + *context_.route;
        } else if (spec_) {
            struct pl text;
            struct uri target;
            pl_set_str(&text, spec_->target.c_str());
            what = uri_decode(&target, &text) == 0 ? pl_text(target.host) : spec_->target;
        }
        return "503 Service Unavailable (cannot resolve " + what + ")";
    }
    case ECONNREFUSED:
    case ECONNABORTED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EPIPE: return std::string("503 Service Unavailable (") + std::strerror(err) + ")";
    default: return otherwise + std::string(std::strerror(err));
    }
}

// The INVITE goes again in the same dialog with these credentials (OutgoingInvite).
std::optional<std::string> SipCall::answer_challenge(const struct sip_msg &message) {
    auto read = read_invite_challenge(message, *spec_);
    if (!read) return std::nullopt;
    // A hostile callee or hop could ask for a response to crack offline: only the
    // account's own realms are answered.
    if (!read->realm_is_accounts) {
        context_.logger.info("call " + std::to_string(id_) + ": challenge for realm '" + read->challenge.realm +
                             "' not answered (not the account's)");
        return std::nullopt;
    }
    // A second challenge means wrong credentials, unless it says our nonce was stale
    // (RFC 2617 3.2.1): that one is answered once more with the fresh nonce.
    if (challenge_answered_ && !(read->challenge.stale && !stale_answered_)) return std::nullopt;
    if (challenge_answered_) stale_answered_ = true;
    challenge_answered_ = true;
    DigestInput input{spec_->user, spec_->ha1, "INVITE", spec_->target, 1, random_hex()};
    return credentials_header(*read, input);
}

void SipCall::outgoing_ended(int err, const struct sip_msg *message) {
    std::string reason;
    if (message && message->req)
        reason = "200 Call completed";  // the far end's BYE
    else if (message)
        reason = std::to_string(message->scode) + " " + pl_text(message->reason);
    else
        reason = local_failure_reason(err, "500 ");
    finish(reason);  // the invite is freed with the call, not inside its own handler
}

void SipCall::answer(const std::string &sdp, const std::string &extra_headers) {
    if (outgoing_ || answered_ || finished_ || !session_) return;
    struct mbuf *description = sdp_buffer(sdp);
    local_sdp_ = last_local_sdp_ = sdp;
    std::string timer;
    if (pending_session_expires_) {  // the INVITE asked for a session timer: our terms
        timer_.settle(pending_session_expires_, timer_.we_refresh());
        timer = timer_.header(false) + (peer_supports_timer_ ? "Require: timer\r\n" : "");
    }
    int err = description ? sipsess_answer(session_, 200, "OK", description, "%s%s", timer.c_str(),
                                           extra_headers.c_str())
                          : ENOMEM;
    mem_deref(description);
    if (err) return end(500);
    answered_ = true;
}

void SipCall::adopt_session_expires(const struct sip_msg &message, bool answers_our_request) {
    auto expires = read_session_expires(message);
    if (!expires) return;
    bool we_refresh = timer_.active() ? timer_.we_refresh() : answers_our_request;
    // "uac": the one that sent the request that carried it refreshes.
    if (expires->refresher) we_refresh = (*expires->refresher == "uac") == answers_our_request;
    timer_.settle(expires->seconds, we_refresh);
}

// Ours to refresh: an UPDATE when the far end takes them (no offer, nothing to renegotiate),
// else a re-INVITE with the description already agreed. An offer under way refreshes too.
void SipCall::refresh_session() {
    if (!updates_ || finished_) return;
    if (updates_->refresh(peer_allows_update_, last_local_sdp_) != 0) timer_.refreshed();
}

// RFC 4028 10: a refresh that times out or gets 408 or 481 ends the call; a 422 asks for
// a longer interval, given at once; anything else leaves the session as it is.
void SipCall::session_refresh_failed(std::uint16_t code, const struct sip_msg *response) {
    if (code == 422 && response) {
        auto least = read_min_se(*response);
        if (least && *least > timer_.seconds() && *least <= 86400) {
            timer_.settle(*least, true);
            if (updates_ && updates_->refresh(peer_allows_update_, last_local_sdp_) == 0) return;
        }
    }
    if (code == 408 || code == 481) return end_soon("408 Session refresh failed (" + std::to_string(code) + ")");
    context_.logger.info("call " + std::to_string(id_) + ": session refresh answered " + std::to_string(code));
    timer_.refreshed();
}

void SipCall::end_soon(const std::string &reason) {
    deferred_end_reason_ = reason;
    tmr_start(&end_timer_, 0, end_now, this);
}

void SipCall::end_now(void *arg) {
    auto *self = static_cast<SipCall *>(arg);
    self->end_with(self->deferred_end_reason_);
}

// The session timer ended it: BYE, as hanging up does, with the timer's reason.
void SipCall::end_with(const std::string &reason) {
    if (finished_) return;
    drop_invite();
    session_ = static_cast<struct sipsess *>(mem_deref(session_));
    finish(reason);
}

void SipCall::end(std::uint16_t decline_code) {
    if (finished_) return;
    std::string reason;
    if (answered_) {
        reason = "200 Call completed";  // the BYE goes out as the session or the invite is freed
    } else if (outgoing_) {
        reason = "487 Request Terminated";  // freeing an unanswered invite sends CANCEL
    } else {
        if (session_) (void)sipsess_reject(session_, decline_code, status_phrase(decline_code), "");
        reason = std::to_string(decline_code) + " " + status_phrase(decline_code);
    }
    drop_invite();  // and the dialog's updates
    session_ = static_cast<struct sipsess *>(mem_deref(session_));
    finish(reason);
}

void SipCall::give_up(const std::string &reason) {
    if (finished_ || answered_) return;
    if (!outgoing_ && session_) (void)sipsess_reject(session_, 480, "Temporarily Unavailable", "");
    drop_invite();  // unanswered outgoing: CANCEL
    session_ = static_cast<struct sipsess *>(mem_deref(session_));
    finish(reason);
}

void SipCall::send_dtmf(char digit, unsigned duration_ms) {
    if (finished_ || !answered_ || !is_dtmf_digit(digit)) return;
    std::string body = dtmf_relay_body({digit, duration_ms ? duration_ms : DtmfDigit{}.duration_ms});
    int err = 0;
    if (invite_) {
        err = invite_->send_info(kDtmfRelayType, body);
    } else if (session_) {
        struct mbuf *buffer = sdp_buffer(body);
        err = buffer ? sipsess_info(session_, kDtmfRelayType, buffer, nullptr, nullptr) : ENOMEM;
        mem_deref(buffer);
    }
    if (err) context_.logger.info("call " + std::to_string(id_) + ": DTMF not sent: " + std::strerror(err));
}

std::uint16_t SipCall::info_received(const struct sip_msg &info) {
    if (!msg_ctype_cmp(&info.ctyp, "application", "dtmf-relay")) return 415;
    auto digit = read_dtmf_relay(message_body(&info));
    if (!digit) return 200;  // a dtmf-relay body without a digit: nothing to tell
    CallUpdate update;
    update.id = id_;
    update.kind = CallUpdate::Kind::dtmf;
    update.dtmf_digit = digit->digit;
    update.dtmf_duration_ms = digit->duration_ms;
    context_.sink(update);
    return 200;
}

void SipCall::info_handler(struct ::sip *stack, const struct sip_msg *info, void *arg) {
    std::uint16_t code = static_cast<SipCall *>(arg)->info_received(*info);
    (void)sip_reply(stack, info, code, code == 200 ? "OK" : "Unsupported Media Type");
}

void SipCall::report(CallUpdate::Kind kind, std::string sdp, std::string reason) {
    CallUpdate update = update_of(kind);
    update.sdp = std::move(sdp);
    update.reason = std::move(reason);
    context_.sink(update);
}

// A 1xx or the 2xx to our INVITE: its body, code, fork (To tag), Call-ID; the 2xx's
// headers too (a client may ask for some).
void SipCall::report_answer(CallUpdate::Kind kind, const struct sip_msg &message) {
    CallUpdate update = update_of(kind);
    update.sdp = message_body(&message);
    update.dialog_tag = pl_text(message.to.tag);
    update.status = message.scode;
    update.call_id = call_id_;
    if (kind == CallUpdate::Kind::answered) update.headers = message_headers(message);
    context_.sink(update);
}

CallUpdate SipCall::update_of(CallUpdate::Kind kind) const {
    CallUpdate update;
    update.id = id_;
    update.kind = kind;
    update.was_answered = answered_;
    return update;
}

void SipCall::finish(std::string reason) {
    if (finished_) return;
    finished_ = true;
    report(CallUpdate::Kind::ended, {}, std::move(reason));
    context_.finished(id_);
}

int SipCall::offer_handler(struct mbuf **descp, const struct sip_msg *, void *arg) {
    // A re-INVITE with a new offer: media changes are not negotiated yet, so the
    // answer repeats what this side already said.
    *descp = sdp_buffer(static_cast<SipCall *>(arg)->local_sdp_);
    return *descp ? 0 : ENOMEM;
}

// The answer in the ACK, when the INVITE came without an offer (our 200 carried one).
int SipCall::answer_handler(const struct sip_msg *message, void *arg) {
    static_cast<SipCall *>(arg)->ack_sdp_ = message_body(message);
    return 0;
}

void SipCall::established_handler(const struct sip_msg *, void *arg) {
    auto *self = static_cast<SipCall *>(arg);
    self->start_updates(sipsess_dialog(self->session_));
    self->report(CallUpdate::Kind::confirmed, std::move(self->ack_sdp_));
}

void SipCall::close_handler(int err, const struct sip_msg *message, void *arg) {
    auto *self = static_cast<SipCall *>(arg);
    std::string reason;
    if (message && message->req) {
        // The far end ended it: a BYE after the answer, a CANCEL before it.
        reason = pl_strcmp(&message->met, "CANCEL") == 0 ? "487 Request Terminated" : "200 Call completed";
    } else if (message) {
        reason = std::to_string(message->scode) + " " + pl_text(message->reason);
    } else if (err == ECONNRESET) {
        // libre's word for "the far end ended it": a BYE once answered, a CANCEL before.
        reason = self->answered_ ? "200 Call completed" : "487 Request Terminated";
    } else {
        reason = err ? self->local_failure_reason(err, "500 ") : "200 Call completed";
    }
    self->drop_invite();     // the dialog's updates go with the session
    self->retire_session();  // not freed inside its own handler
    self->finish(reason);
}

void SipCall::retire_session() {
    mem_deref(retired_);
    retired_ = session_;
    session_ = nullptr;
}

}  // namespace sylk::sip
