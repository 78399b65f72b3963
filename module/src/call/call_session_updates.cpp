// CallSession's offers and answers in the dialog, once the call is answered: the phone's
// re-INVITE or UPDATE, the browser's session-update, and the browser asked to follow the
// phone's codecs. Read against the call's MediaAgreement (call/media_agreement).
#include "call/call_session.hpp"

#include "call/media_agreement.hpp"
#include "call/relay_plan.hpp"
#include "sdp/browser_side.hpp"
#include "sdp/phone_side.hpp"
#include "sdp/session_description.hpp"

#include <algorithm>

namespace sylk::call {

// The phone's re-INVITE or UPDATE, once answered (RFC 3264 8, RFC 6337): a refresh gets
// our last description again; hold, resume, a new address, port or codec that the
// browser already carries are answered here and the relay follows; what needs the
// browser (a codec it does not carry, video added) is put to it, or refused when it cannot
// be (lines the phone adds get port 0 then).
ClientNotices CallSession::phone_reoffered(const sip::CallUpdate &update) {
    auto refuse = [this, &update](std::uint16_t code, const std::string &why) {
        services_->logger.info(log_name_ + ": the phone's new offer is refused (" + std::to_string(code) + "): " + why);
        services_->sip.answer_update(id_, update.update_seq, code, {});
        return ClientNotices{};
    };
    if (!agreement_ || (state_ != CallState::accepted && state_ != CallState::established &&
                        state_ != CallState::updating))
        return refuse(488, std::string("the call is ") + state_name(state_));
    if (local_update_ || remote_update_) return refuse(491, "another offer is being answered");  // crossed in flight
    if (update.sdp.empty()) {  // it asks for our offer; its answer comes in the ACK
        MediaAgreement offered = *agreement_;
        std::string offer = phone_offer(offered, phone_side_rtp(), std::to_string(id_));
        offered_in_answer_ = std::move(offered);
        services_->sip.answer_update(id_, update.update_seq, 200, offer);
        return {};
    }
    auto parsed = parse_sdp(update.sdp);
    if (auto *problem = std::get_if<std::string>(&parsed)) return refuse(488, *problem);
    auto &offer = std::get<sdp::SessionDescription>(parsed);
    bool refresh = !offer.origin().empty() && offer.origin() == agreement_->phone_origin;
    auto answered = answer_phone_reoffer(*agreement_, offer, phone_side_rtp(), std::to_string(id_));
    if (refresh) {
        // Our last description again; after an offer of ours the phone refused, the session
        // as it is, under the version after that offer's. Nothing moves.
        auto *result = std::get_if<ReofferAnswer>(&answered);
        if (result && last_offer_refused_) {
            last_offer_refused_ = false;
            agreement_->local_version = result->agreement.local_version;
            agreement_->local_description = result->agreement.local_description;
        }
        services_->sip.answer_update(id_, update.update_seq, 200, agreement_->local_description);
        return {};
    }
    if (auto *problem = std::get_if<std::string>(&answered)) {
        if (auto asked = ask_browser(update.update_seq, offer)) return *asked;
        return refuse(488, *problem);
    }
    if (auto added = lines_the_phone_adds(offer); added > 0 && !hold_ports_for(added))
        if (auto asked = ask_browser(update.update_seq, offer)) return *asked;  // video added
    // (else the answer above refuses the added lines with port 0)
    auto &result = std::get<ReofferAnswer>(answered);
    apply_agreement(std::move(result.agreement));
    services_->sip.answer_update(id_, update.update_seq, 200, result.answer);
    return phone_change_settled();
}

// The phone's answer to an offer of ours in the dialog, read against what that offer said.
std::variant<MediaAgreement, std::string> CallSession::phone_answer_to(const MediaAgreement &offered,
                                                                       const std::string &text,
                                                                       const char *when_missing) const {
    if (text.empty()) return std::string(when_missing);
    auto parsed = parse_sdp(text);
    if (auto *problem = std::get_if<std::string>(&parsed)) return *problem;
    return take_phone_answer(offered, std::get<sdp::SessionDescription>(parsed));
}

// Our offer went in the 200 to an offerless re-INVITE: the phone's answer is in the ACK.
ClientNotices CallSession::phone_answered_reoffer_in_ack(const sip::CallUpdate &update) {
    if (!offered_in_answer_) return {};
    MediaAgreement offered = std::move(*offered_in_answer_);
    offered_in_answer_.reset();
    auto taken = phone_answer_to(offered, update.sdp, "no SDP answer in the ACK");
    if (auto *problem = std::get_if<std::string>(&taken)) {
        // The phone holds a session we cannot carry: the call cannot go on as it was.
        services_->logger.info(log_name_ + ": the phone's answer to our offer cannot be taken: " + *problem);
        end_by_gateway("488 " + *problem, 488);
        return {};
    }
    apply_agreement(std::get<MediaAgreement>(std::move(taken)));
    return phone_change_settled();
}

// The phone's change is answered: the client is told; one that follows such changes is
// offered the session as it now is (a hold: sendonly), and its answer settles nothing more.
ClientNotices CallSession::phone_change_settled() {
    if (browser_follows_phone_changes_)
        if (auto offered = bring_browser_to_agreement(); !offered.empty()) return offered;
    return update_notice("remote", {});
}

// The phone's new offer carries codecs the browser did not agree (a PBX moving the call
// to another codec): the browser is offered them on its same lines, ICE and DTLS as they
// are; its answer (session-update) settles our answer to the phone.
std::optional<ClientNotices> CallSession::ask_browser(std::uint32_t update_seq, const sdp::SessionDescription &offer) {
    auto read = sdp::read_phone_offer(offer);
    auto *phone = std::get_if<sdp::PhoneDescription>(&read);
    if (!phone) return std::nullopt;
    auto lines = browser_reoffer_lines(*agreement_, offered_, *phone);
    if (!lines || count_bridged(*lines) == 0) return std::nullopt;
    std::string browser_offer = sdp::serialize(sdp::write_browser_offer(
        *lines, gateway_webrtc(services_->media, media_), std::to_string(id_), ++browser_version_));
    remote_update_ = RemoteUpdate{update_seq, std::move(*phone), std::move(*lines)};
    state_ = CallState::updating;
    services_->logger.info(log_name_ + ": the phone's new offer needs the browser: offered to it");
    return update_notice("remote", "received", browser_offer);
}

std::size_t CallSession::lines_the_phone_adds(const sdp::SessionDescription &offer) const {
    auto read = sdp::read_phone_offer(offer);
    auto *phone = std::get_if<sdp::PhoneDescription>(&read);
    std::size_t sections = agreement_->phone_sections.size();
    if (!phone || phone->lines.size() <= sections || agreement_->lines.size() != offered_.size() ||
        phone->lines.size() - sections + offered_.size() > services_->max_media_lines)
        return 0;
    return static_cast<std::size_t>(std::count_if(phone->lines.begin() + static_cast<std::ptrdiff_t>(sections),
                                                  phone->lines.end(), [](const sdp::MediaLine &line) { return line.bridged; }));
}

std::optional<std::string> CallSession::answer_remote_update(const std::string &browser_answer) {
    auto parsed = parse_sdp(browser_answer);
    if (auto *problem = std::get_if<std::string>(&parsed)) return *problem;
    auto answer = sdp::read_browser_answer(std::get<sdp::SessionDescription>(parsed), remote_update_->browser_lines);
    if (auto *reason = std::get_if<std::string>(&answer)) return "invalid SDP: " + *reason;
    RemoteUpdate pending = std::move(*remote_update_);
    remote_update_.reset();
    settle_state();
    if (!pending.sip_answer_due) return std::nullopt;  // it took what the relay already carries
    // The plan with the lines the phone added (video added), as the browser was offered them.
    std::vector<sdp::MediaLine> plan = offered_;
    plan.insert(plan.end(), pending.browser_lines.begin() + static_cast<std::ptrdiff_t>(offered_.size()),
                pending.browser_lines.end());
    auto result = answer_phone_reoffer_as_browser_did(*agreement_, pending.reoffer,
                                                      std::get<sdp::BrowserDescription>(answer).lines,
                                                      gateway_rtp(services_->media.media_address(), plan, media_.ports),
                                                      std::to_string(id_));
    if (auto *problem = std::get_if<std::string>(&result)) {  // the phone keeps what it had
        services_->sip.answer_update(id_, pending.seq, 488, {});
        return "the phone's offer cannot be carried: " + *problem;
    }
    auto &answered = std::get<ReofferAnswer>(result);
    offered_ = std::move(plan);
    apply_agreement(std::move(answered.agreement));
    services_->sip.answer_update(id_, pending.seq, 200, answered.answer);
    return std::nullopt;
}

bool CallSession::first_codec_left_out(const std::vector<sdp::MediaLine> &browser_lines) const {
    if (!agreement_) return false;
    for (std::size_t index = 0; index < browser_lines.size() && index < agreement_->lines.size(); ++index) {
        const auto &codecs = browser_lines[index].codecs;
        auto first = std::find_if(codecs.begin(), codecs.end(), [](const sdp::Codec &c) { return !c.is_telephone_event(); });
        if (first == codecs.end() || !agreement_->lines[index].carried()) continue;
        auto number = sdp::payload_type_number(first->payload_type);
        const auto &agreed = agreement_->lines[index].codecs;
        if (number && std::none_of(agreed.begin(), agreed.end(),
                                   [&number](const CarriedCodec &c) { return c.browser_type == *number; }))
            return true;
    }
    return false;
}

ClientNotices CallSession::bring_browser_to_agreement() {
    if (!agreement_ || remote_update_ || local_update_) return {};
    std::vector<sdp::MediaLine> lines = offered_;  // the browser's lines, under its numbers
    for (std::size_t index = 0; index < lines.size(); ++index) {
        auto &line = lines[index];
        std::vector<sdp::Codec> carried;
        if (index < agreement_->lines.size())
            for (const auto &codec : line.codecs) {
                auto number = sdp::payload_type_number(codec.payload_type);
                const auto &agreed = agreement_->lines[index].codecs;
                if (number && std::any_of(agreed.begin(), agreed.end(),
                                          [&number](const CarriedCodec &c) { return c.browser_type == *number; }))
                    carried.push_back(codec);
            }
        line.codecs = std::move(carried);
        line.bridged = line.bridged && !line.codecs.empty();
        if (index < agreement_->lines.size()) line.direction = agreement_->lines[index].phone_direction;
    }
    if (count_bridged(lines) == 0) return {};
    std::string browser_offer = sdp::serialize(
        sdp::write_browser_offer(lines, gateway_webrtc(services_->media, media_), std::to_string(id_), ++browser_version_));
    remote_update_ = RemoteUpdate{0, {}, std::move(lines), false};
    state_ = CallState::updating;
    return update_notice("remote", "received", browser_offer);
}

ClientNotices CallSession::remote_update_expired(const sip::CallUpdate &update) {
    if (!remote_update_ || remote_update_->seq != update.update_seq) return {};
    remote_update_.reset();
    settle_state();
    return update_notice("remote", "failed", {}, "488 the browser did not answer in time");
}

void CallSession::settle_state() {
    if (state_ == CallState::updating) state_ = media_up_ ? CallState::established : CallState::accepted;
}

std::optional<std::string> CallSession::update(const std::string &browser_offer) {
    if (remote_update_) return answer_remote_update(browser_offer);
    if (local_update_) return std::string("an update is in progress");
    if (!agreement_ || (state_ != CallState::accepted && state_ != CallState::established))
        return std::string("not answered (") + state_name(state_) + ")";
    auto parsed = parse_sdp(browser_offer);
    if (auto *problem = std::get_if<std::string>(&parsed)) return *problem;
    auto offer = sdp::read_browser_offer(std::get<sdp::SessionDescription>(parsed));
    if (auto *reason = std::get_if<std::string>(&offer)) return "invalid SDP: " + *reason;
    auto &browser = std::get<sdp::BrowserDescription>(offer);
    if (browser.lines.size() < offered_.size()) return std::string("media lines cannot be removed in an update");
    if (!media_.browser || browser.peer.ice_ufrag != media_.browser->ice_ufrag ||
        browser.peer.fingerprint != media_.browser->fingerprint)
        return std::string("an ICE restart or a new DTLS certificate is not supported in an update");
    if (auto problem = refuse_added_lines(browser.lines)) return problem;
    if (auto problem = hold_ports_for(browser.lines.size() - offered_.size())) return problem;
    MediaAgreement offered = *agreement_;
    std::vector<sdp::MediaLine> plan = offered_;
    for (std::size_t line = 0; line < browser.lines.size(); ++line) {
        if (line < offered.lines.size()) {
            offered.lines[line].browser_direction = browser.lines[line].direction;
            continue;
        }
        offered.lines.push_back(browser_added_line(browser.lines[line]));  // video added
        offered.phone_sections.push_back(line);
        plan.push_back(browser.lines[line]);
    }
    std::string phone_sdp =
        phone_offer(offered, gateway_rtp(services_->media.media_address(), plan, media_.ports), std::to_string(id_));
    local_update_ = LocalUpdate{std::move(offered), std::move(browser.lines), std::move(plan)};
    state_ = CallState::updating;
    services_->sip.update_call(id_, phone_sdp);
    return std::nullopt;
}

// The phone's answer to our re-INVITE: the browser gets its answer, or hears why not.
ClientNotices CallSession::phone_answered_update(const sip::CallUpdate &update) {
    if (!local_update_) return {};
    LocalUpdate sent = std::move(*local_update_);
    local_update_.reset();
    settle_state();
    if (update.status >= 300) {
        // RFC 3261 12.2.1.2 and 14.1: a 481 or 408 to a re-INVITE ends the dialog.
        if (update.status == 481 || update.status == 408) end_by_gateway(update.reason, 488);
        // The phone keeps what it had; so does our side (the browser rolls its offer back).
        // Our next description follows the refused one's version.
        agreement_->local_version = sent.offered.local_version;
        agreement_->local_description = sent.offered.local_description;
        last_offer_refused_ = true;
        return update_notice("local", "failed", {}, update.reason);
    }
    auto taken = phone_answer_to(sent.offered, update.sdp, "no SDP in the answer");
    if (auto *problem = std::get_if<std::string>(&taken)) {
        services_->logger.info(log_name_ + ": the phone's answer to our update cannot be taken: " + *problem);
        end_by_gateway("488 " + *problem, 488);
        return update_notice("local", "failed", {}, "488 " + *problem);
    }
    offered_ = std::move(sent.plan);  // with the lines the browser added, if any
    apply_agreement(std::get<MediaAgreement>(std::move(taken)));
    std::string browser_answer = sdp::serialize(
        sdp::write_browser_answer(sent.browser_lines, browser_answer_lines(*agreement_, sent.browser_lines),
                                  gateway_webrtc(services_->media, media_), std::to_string(id_), ++browser_version_));
    return update_notice("local", "accepted", browser_answer);
}

std::optional<std::string> CallSession::refuse_added_lines(const std::vector<sdp::MediaLine> &browser_lines) const {
    if (browser_lines.size() == offered_.size()) return std::nullopt;
    if (agreement_->lines.size() != offered_.size())
        return std::string("media lines cannot be added once the phone has added its own");
    if (browser_lines.size() > services_->max_media_lines)
        return "too many media lines (at most " + std::to_string(services_->max_media_lines) + ")";
    for (std::size_t line = offered_.size(); line < browser_lines.size(); ++line) {
        const auto &added = browser_lines[line];
        if (added.kind != "audio" && added.kind != "video")
            return "only audio and video lines can be added (line " + std::to_string(line) + " is " + added.kind + ")";
        if (!added.bridged) return "no codec the gateway carries on the added " + added.kind + " line";
    }
    return std::nullopt;
}

std::optional<std::string> CallSession::hold_ports_for(std::size_t lines) {
    std::size_t relayed = static_cast<std::size_t>(
        std::count_if(agreement_->lines.begin(), agreement_->lines.end(), [](const AgreedLine &line) { return line.relayed; }));
    std::size_t held = media_.ports.phone_ports.size();
    std::size_t idle = held > relayed ? held - relayed : 0;  // left by an addition the phone refused
    if (lines <= idle) return std::nullopt;
    auto more = services_->media.reserve_more_ports(media_.id, lines - idle);
    if (!more) return std::string("no media ports available");
    media_.ports.phone_ports.insert(media_.ports.phone_ports.end(), more->begin(), more->end());
    media_.added_phone_ports = std::move(*more);
    services_->media.update(media_);  // the media session owns them from here
    media_.added_phone_ports.clear();
    return std::nullopt;
}

void CallSession::apply_agreement(MediaAgreement agreement) {
    agreement_ = std::move(agreement);
    media_.lines = checked(agreed_relay_lines(*agreement_, media_.ports));
    services_->media.update(media_);
}

ClientNotices CallSession::update_notice(std::string originator, std::string state, std::string sdp,
                                         std::string reason) const {
    ClientNotice notice;
    notice.kind = ClientNotice::Kind::update;
    notice.originator = std::move(originator);
    notice.state = std::move(state);
    notice.sdp = std::move(sdp);
    notice.reason = std::move(reason);
    notice.hold = agreement_ && agreement_->held_by_phone();
    return {notice};
}

sdp::GatewayRtp CallSession::phone_side_rtp() const {
    return gateway_rtp(services_->media.media_address(), offered_, media_.ports);
}

}  // namespace sylk::call
