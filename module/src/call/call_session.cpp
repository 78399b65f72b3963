#include "call/call_session.hpp"

#include "call/media_agreement.hpp"
#include "call/relay_plan.hpp"
#include "sdp/browser_side.hpp"
#include "sdp/phone_side.hpp"
#include "sdp/session_description.hpp"

#include <algorithm>

namespace sylk::call {

namespace {

// What the gateway offers a browser for an offerless INVITE, written as a phone's offer
// (read by sdp::read_phone_offer like any other): G.711 first, the codec every SIP peer
// carries, since the browser's answer is fixed before the phone chooses (in its ACK) and
// the browser sends its first codec; then G.722, Opus and telephone-events at 8 kHz.
const char *const kGatewayCapabilities =
    "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 0 8 9 111 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\na=sendrecv\r\n";

// A digit the phone sent, by SIP INFO or RFC 4733.
ClientNotice dtmf_notice(char digit, unsigned duration_ms) {
    ClientNotice notice;
    notice.kind = ClientNotice::Kind::dtmf;
    notice.dtmf_digit = digit;
    notice.dtmf_duration_ms = duration_ms;
    return notice;
}

ClientNotice state_notice(std::string state, std::string sdp = {}, std::string reason = {}) {
    return {ClientNotice::Kind::state, std::move(state), std::move(sdp), std::move(reason)};
}

}  // namespace

std::variant<sdp::SessionDescription, std::string> CallSession::parse_sdp(const std::string &text) {
    auto parsed = sdp::parse(text);
    if (auto *error = std::get_if<sdp::ParseError>(&parsed)) return "invalid SDP: " + error->reason;
    return std::get<sdp::SessionDescription>(std::move(parsed));
}

const char *state_name(CallState state) {
    switch (state) {
    case CallState::connecting: return "connecting";
    case CallState::progress: return "progress";
    case CallState::early_media: return "early media";
    case CallState::answering: return "answering";
    case CallState::accepted: return "accepted";
    case CallState::established: return "established";
    case CallState::updating: return "updating";
    case CallState::terminating: return "terminating";
    case CallState::terminated: return "terminated";
    }
    return "?";
}

CallSession::CallSession(CallServices &services, sip::CallId id, bool incoming, std::string log_name)
    : services_(&services), id_(id), incoming_(incoming), log_name_(std::move(log_name)) {
    media_.id = id;
    media_.local_ice_ufrag = random_ice_token(8);
    media_.local_ice_pwd = random_ice_token(24);
}

std::variant<CallSession, std::string> CallSession::place(CallServices &services, sip::OutgoingCallSpec call,
                                                          const std::string &browser_offer, std::string log_name) {
    auto parsed = parse_sdp(browser_offer);
    if (auto *problem = std::get_if<std::string>(&parsed)) return *problem;
    auto offer = sdp::read_browser_offer(std::get<sdp::SessionDescription>(parsed));
    if (auto *reason = std::get_if<std::string>(&offer)) return "invalid SDP: " + *reason;
    auto &browser = std::get<sdp::BrowserDescription>(offer);
    if (count_bridged(browser.lines) > services.max_media_lines)
        return services.counters.limit_reached(stats::Refusal::max_media_lines, services.max_media_lines);
    auto ports = services.media.reserve_ports(call.id, count_bridged(browser.lines));
    if (!ports) return std::string("no media ports available");

    CallSession session(services, call.id, false, std::move(log_name));
    session.offered_ = browser.lines;
    session.media_.ports = *ports;
    session.media_.browser = browser_parameters(browser.peer);
    session.media_.lines = bridged_lines(session.offered_, nullptr, {}, session.media_.ports);
    call.sdp = sdp::serialize(sdp::write_phone_offer(
        session.offered_, gateway_rtp(services.media.media_address(), session.offered_, session.media_.ports),
        std::to_string(call.id)));
    session.phone_first_sdp_ = call.sdp;
    services.media.open(session.media_);
    services.sip.place_call(std::move(call));
    services.counters.sessions.fetch_add(1, std::memory_order_relaxed);
    return session;
}

std::variant<CallSession, IncomingRefusal> CallSession::receive(CallServices &services, const sip::CallUpdate &incoming,
                                                                std::string log_name) {
    // The one reading of the phone's offer; refused before any port is taken. An INVITE
    // without one (Cisco UCM, some carriers) gets the gateway's own: the browser is
    // offered what the gateway carries, its answer becomes the offer in our 200, and the
    // phone's answer comes in the ACK.
    bool offerless = incoming.sdp.empty();
    auto parsed = parse_sdp(offerless ? kGatewayCapabilities : incoming.sdp);
    if (auto *problem = std::get_if<std::string>(&parsed)) return IncomingRefusal{488, *problem};
    auto offer = sdp::read_phone_offer(std::get<sdp::SessionDescription>(parsed));
    if (auto *reason = std::get_if<std::string>(&offer)) return IncomingRefusal{488, *reason};
    auto &phone = std::get<sdp::PhoneDescription>(offer);
    if (count_bridged(phone.lines) > services.max_media_lines)
        return IncomingRefusal{488, services.counters.limit_reached(stats::Refusal::max_media_lines,
                                                                    services.max_media_lines)};
    if (offerless) phone.peers.assign(phone.lines.size(), {});  // where the phone receives: in its ACK
    auto ports = services.media.reserve_ports(incoming.id, count_bridged(phone.lines));
    if (!ports) return IncomingRefusal{488, "no media ports available"};

    CallSession session(services, incoming.id, true, std::move(log_name));
    session.offerless_ = offerless;
    session.offered_ = phone.lines;
    session.phone_peers_ = phone.peers;
    session.phone_origin_ = phone.origin;
    session.media_.ports = *ports;
    session.media_.lines = session.relay_lines(nullptr, session.phone_peers_);
    // Media starts now: a browser's checks and DTLS hello may come before its answer.
    services.media.open(session.media_);
    session.browser_offer_ = sdp::serialize(sdp::write_browser_offer(
        session.offered_, gateway_webrtc(services.media, session.media_), std::to_string(incoming.id)));
    services.counters.sessions.fetch_add(1, std::memory_order_relaxed);
    return session;
}

std::optional<std::string> CallSession::answer(const std::string &browser_answer, const std::string &extra_headers) {
    auto parsed = parse_sdp(browser_answer);
    if (auto *problem = std::get_if<std::string>(&parsed)) return *problem;
    auto answer = sdp::read_browser_answer(std::get<sdp::SessionDescription>(parsed), offered_);
    if (auto *reason = std::get_if<std::string>(&answer)) return "invalid SDP: " + *reason;
    auto &browser = std::get<sdp::BrowserDescription>(answer);
    if (count_bridged(browser.lines) == 0) return std::string("invalid SDP: the answer accepts no media");

    answered_ = true;
    state_ = CallState::answering;
    media_.browser = browser_parameters(browser.peer);
    media_.lines = relay_lines(&browser.lines, phone_peers_);
    media_.negotiated = true;
    services_->media.update(media_);
    auto rtp = gateway_rtp(services_->media.media_address(), offered_, media_.ports);
    if (offerless_) {  // what the browser took is what the phone is offered
        phone_offer_lines_ = browser.lines;
        awaiting_answer_in_ack_ = true;
        phone_first_sdp_ = sdp::serialize(sdp::write_phone_offer(phone_offer_lines_, rtp, std::to_string(id_)));
    } else {
        phone_first_sdp_ = sdp::serialize(sdp::write_phone_answer(offered_, browser.lines, rtp, std::to_string(id_)));
        agreement_ = agree(offered_, browser.lines, phone_peers_, false, phone_origin_, phone_first_sdp_);
    }
    services_->sip.answer_call(id_, phone_first_sdp_, extra_headers);
    return std::nullopt;
}

std::optional<std::string> CallSession::send_dtmf(char digit, unsigned duration_ms) {
    if (state_ != CallState::accepted && state_ != CallState::established)
        return std::string("not answered (") + state_name(state_) + ")";
    services_->sip.send_dtmf(id_, digit, duration_ms);
    return std::nullopt;
}

void CallSession::terminate(std::uint16_t decline_code) {
    state_ = CallState::terminating;
    services_->sip.end_call(id_, decline_code);
}

void CallSession::end_by_gateway(std::string reason, std::uint16_t code) {
    state_ = CallState::terminating;
    end_reason_ = std::move(reason);
    services_->sip.end_call(id_, code);
}

void CallSession::abandon(std::uint16_t decline_code) {
    services_->media.close(id_);
    if (can_terminate()) services_->sip.end_call(id_, decline_code);
    state_ = CallState::terminated;
    count_ended();
}

ClientNotices CallSession::sip_changed(const sip::CallUpdate &update) {
    if (state_ == CallState::terminated) return {};
    switch (update.kind) {
    case sip::CallUpdate::Kind::progress:
        return phone_progress(update);
    case sip::CallUpdate::Kind::answered:
        return phone_answered(update);
    case sip::CallUpdate::Kind::confirmed:
        // The ACK for our 200 OK: an incoming call is up. `established` comes from the
        // media side once ICE and DTLS are done.
        if (awaiting_answer_in_ack_) {
            if (!phone_answered_in_ack(update.sdp)) return {};
            // The browser sends the first codec of its answer; the phone may have chosen another.
            ClientNotices notices = accepted_once_up();
            if (first_codec_left_out(phone_offer_lines_))
                for (auto &notice : bring_browser_to_agreement()) notices.push_back(std::move(notice));
            return notices;
        }
        return accepted_once_up();
    case sip::CallUpdate::Kind::ended:
        return ended(update.reason);
    case sip::CallUpdate::Kind::dtmf:
        return {dtmf_notice(update.dtmf_digit, update.dtmf_duration_ms)};
    case sip::CallUpdate::Kind::reoffer:
        return phone_reoffered(update);
    case sip::CallUpdate::Kind::reoffer_acked:
        return phone_answered_reoffer_in_ack(update);
    case sip::CallUpdate::Kind::update_answered:
        return phone_answered_update(update);
    case sip::CallUpdate::Kind::reoffer_expired:
        return remote_update_expired(update);
    case sip::CallUpdate::Kind::incoming:
        return {};
    }
    return {};
}

std::variant<sdp::PhoneDescription, std::string> CallSession::read_phone_answer(
    const std::string &text, const std::vector<sdp::MediaLine> &offer) const {
    auto parsed = parse_sdp(text);
    if (auto *problem = std::get_if<std::string>(&parsed)) return *problem;
    auto answer = sdp::read_phone_answer(std::get<sdp::SessionDescription>(parsed), offer);
    auto *phone = std::get_if<sdp::PhoneDescription>(&answer);
    if (!phone) return answer;
    if (count_bridged(phone->lines) == 0) return std::string("no media in common");
    return answer;
}

void CallSession::point_relay_at(const sdp::PhoneDescription &phone) {
    media_.lines = relay_lines(&phone.lines, phone.peers);
    media_.negotiated = true;
    services_->media.update(media_);
}

// The relay's lines for the phone's answer (or offer), each phone address checked: one
// inside the networks the gateway may not send to (a phone behind NAT shows its private
// address; a hostile one, the gateway's own loopback) is never sent to; the phone's own
// packets say where it is (security-review.md F5 and F9).
std::vector<media::BridgedLine> CallSession::relay_lines(const std::vector<sdp::MediaLine> *answered,
                                                         const std::vector<sdp::RtpPeer> &peers) {
    return checked(bridged_lines(offered_, answered, peers, media_.ports));
}

std::vector<media::BridgedLine> CallSession::checked(std::vector<media::BridgedLine> lines) {
    for (auto &line : lines) {
        if (line.phone.port == 0) continue;
        if (auto refusal = services_->address_policy.refusal(line.phone.address)) {
            line.phone.learn_only = true;
            if (inside_address_seen_) continue;
            inside_address_seen_ = true;  // counted and told once a call
            services_->counters.refused(stats::Refusal::media_address);
            services_->logger.info(log_name_ + ": the phone's media address is not sent to (" + *refusal +
                                   "): its own packets will say where it is");
        }
    }
    return lines;
}

std::string CallSession::browser_answer_for(const sdp::PhoneDescription &phone) const {
    return sdp::serialize(
        sdp::write_browser_answer(offered_, phone.lines, gateway_webrtc(services_->media, media_), std::to_string(id_)));
}

// A 1xx. With SDP (183 or 180: early media), the browser gets its answer now and the
// phone's ringback or announcement flows at once; later ones (another fork, a new 183)
// only move the relay.
ClientNotices CallSession::phone_progress(const sip::CallUpdate &update) {
    if (state_ == CallState::connecting) state_ = CallState::progress;
    auto progress = [&update](std::string early_answer = {}) {
        ClientNotice notice = state_notice("progress", std::move(early_answer));
        notice.code = update.status;
        return ClientNotices{notice};
    };
    if (update.sdp.empty() || state_ == CallState::terminating) return progress();
    auto answer = read_phone_answer(update.sdp, offered_);
    if (auto *problem = std::get_if<std::string>(&answer)) {
        services_->logger.info(log_name_ + ": early media not taken: " + *problem);
        return progress();
    }
    auto &phone = std::get<sdp::PhoneDescription>(answer);
    point_relay_at(phone);
    early_answers_[update.dialog_tag] = phone;
    if (!browser_answer_.empty()) return progress();
    state_ = CallState::early_media;
    browser_answer_ = browser_answer_for(phone);
    return progress(browser_answer_);
}

// The 2xx: its SDP, or the early answer of its dialog when it has none, is where the
// relay points from now on.
ClientNotices CallSession::phone_answered(const sip::CallUpdate &update) {
    std::variant<sdp::PhoneDescription, std::string> answer = std::string("no SDP in the answer");
    if (!update.sdp.empty())
        answer = read_phone_answer(update.sdp, offered_);
    else if (auto early = early_answers_.find(update.dialog_tag); early != early_answers_.end())
        answer = early->second;
    if (auto *problem = std::get_if<std::string>(&answer)) {
        services_->logger.info(log_name_ + ": the phone's answer cannot be bridged: " + *problem);
        end_by_gateway("488 " + *problem, 488);
        return {};
    }
    auto &phone = std::get<sdp::PhoneDescription>(answer);
    answered_ = true;
    state_ = CallState::accepted;
    point_relay_at(phone);
    agreement_ = agree(offered_, phone.lines, phone.peers, true, phone.origin, phone_first_sdp_);
    early_answers_.clear();  // `phone` may be one of them
    std::string browser_answer = browser_answer_for(phone);
    // A client that took the early answer keeps it (sylkRTC-1 has no second answer) and
    // is offered the final codecs after; one that waited for `accepted` takes this one.
    bool answered_early = !browser_answer_.empty();
    bool codecs_moved = answered_early && browser_answer != browser_answer_;
    browser_answer_ = browser_answer;
    ClientNotices notices{state_notice("accepted", browser_answer)};
    notices.front().answer_given_early = answered_early;
    if (media_up_early_) {  // told in order: accepted, then established
        state_ = CallState::established;
        notices.push_back(state_notice("established"));
    }
    if (codecs_moved) {
        services_->logger.info(log_name_ + ": the phone's final answer chose other codecs than its early one");
        for (auto &notice : bring_browser_to_agreement()) notices.push_back(std::move(notice));
    }
    return notices;
}

// An offerless INVITE's answer, in the ACK: where the phone receives, and its codecs.
bool CallSession::phone_answered_in_ack(const std::string &phone_answer) {
    awaiting_answer_in_ack_ = false;
    if (phone_answer.empty()) {
        services_->logger.info(log_name_ + ": the phone's ACK carried no answer to our offer");
        end_by_gateway("488 no SDP answer in the ACK", 488);
        return false;
    }
    auto answer = read_phone_answer(phone_answer, phone_offer_lines_);
    if (auto *problem = std::get_if<std::string>(&answer)) {
        services_->logger.info(log_name_ + ": the phone's answer in the ACK cannot be bridged: " + *problem);
        end_by_gateway("488 " + *problem, 488);
        return false;
    }
    // Indexed like offered_ (phone_offer_lines_ has one line per offered line), so the
    // pairs and the phone's addresses land on the right relay lines.
    auto &phone = std::get<sdp::PhoneDescription>(answer);
    media_.lines = relay_lines(&phone.lines, phone.peers);
    services_->media.update(media_);
    agreement_ = agree(phone_offer_lines_, phone.lines, phone.peers, true, phone.origin, phone_first_sdp_);
    return true;
}

ClientNotices CallSession::accepted_once_up() {
    if (!incoming_ || state_ != CallState::answering) return {};
    state_ = CallState::accepted;
    return {state_notice("accepted")};
}

ClientNotices CallSession::media_changed(const media::MediaEvent &event) {
    if (state_ == CallState::terminated) return {};
    if (event.kind == media::MediaEvent::Kind::dtmf)  // an RFC 4733 digit, told as an INFO one is
        return {dtmf_notice(event.digit, event.duration_ms)};
    if (event.kind == media::MediaEvent::Kind::established) {
        if (state_ == CallState::early_media) {  // `established` waits for `accepted`
            media_up_early_ = true;
            media_up_ = true;
            return {};
        }
        media_up_ = true;
        ClientNotices notices = accepted_once_up();  // media may be up before the phone's ACK arrives
        if (state_ == CallState::accepted) state_ = CallState::established;
        notices.push_back(state_notice("established"));
        return notices;
    }
    // The media ended on its own (RTP timeout, ICE consent, DTLS): the call ends too.
    services_->logger.info(log_name_ + ": media ended: " + event.reason);
    if (can_terminate()) end_by_gateway(event.reason, 488);
    return {};
}

ClientNotices CallSession::ended(const std::string &sip_reason) {
    ClientNotices notices;
    // Missed: the caller gave up (or the call failed) before the browser answered; a
    // call the browser declined itself is not missed.
    if (incoming_ && !answered_ && state_ != CallState::terminating)
        notices.push_back({ClientNotice::Kind::missed, {}, {}, {}});
    services_->media.close(id_);
    notices.push_back(state_notice("terminated", {}, end_reason_.empty() ? sip_reason : end_reason_));
    state_ = CallState::terminated;
    count_ended();
    return notices;
}

void CallSession::count_ended() const {
    auto &counters = services_->counters;
    counters.sessions.fetch_sub(1, std::memory_order_relaxed);
    auto &total = incoming_ ? (answered_ ? counters.calls_incoming_answered : counters.calls_incoming_unanswered)
                            : (answered_ ? counters.calls_outgoing_answered : counters.calls_outgoing_unanswered);
    total.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace sylk::call
