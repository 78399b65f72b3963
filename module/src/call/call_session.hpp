// One call, from its first offer to its end: its state, its SDP plan (what each side
// offered and answered), the media session that relays it and the SIP call that
// signals it. Every SDP decision of a call is taken here; the SIP side only carries
// bodies, the media side only relays. Lives on the web thread; tells its client
// through the notices it returns (the gateway writes them in the client's protocol).
#pragma once

#include "access/address_policy.hpp"
#include "call/media_agreement.hpp"
#include "log/logger.hpp"
#include "media/media_engine.hpp"
#include "sdp/media_plan.hpp"
#include "sdp/phone_side.hpp"
#include "sip/call_control.hpp"
#include "sip/call_types.hpp"
#include "stats/counters.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sylk::call {

// Where a call is.
enum class CallState {
    connecting,   // outgoing: our INVITE is out; incoming: offered to the browser, ringing
    progress,     // outgoing: the phone sent a provisional answer (it rings)
    early_media,  // outgoing: a provisional answer with SDP: the browser has its answer, media flows
    answering,    // incoming: the browser answered, our 200 awaits its ACK
    accepted,     // both answers are in: the client was told `accepted`
    established,  // ICE and DTLS are done, media flows
    updating,     // an offer in the dialog awaits its answer: the browser's (sent to the phone in a
                  // re-INVITE), or the phone's that the browser was asked to answer
    terminating,  // the gateway ended it; the SIP side's `ended` is awaited
    terminated,   // over: nothing more happens, nothing is told
};
const char *state_name(CallState state);

// What the client is to be told about its session, in the gateway's words.
struct ClientNotice {
    enum class Kind { state, missed, dtmf, update };
    Kind kind = Kind::state;
    std::string state;  // "progress", "accepted", "established", "terminated"
    std::string sdp;    // the gateway's answer to an outgoing call: on `accepted`, and on the
                        // `progress` that starts early media
    std::string reason;  // `terminated`
    char dtmf_digit = '0';  // dtmf: what the phone sent
    unsigned dtmf_duration_ms = 0;
    // update: the phone changed the session (`originator` "remote"; `hold`: it holds the
    // call now), or the browser's session-update was answered (`originator` "local",
    // `state` "accepted" with `sdp`, or "failed" with `reason`).
    std::string originator{};
    bool hold = false;
    std::uint16_t code = 0;           // progress: the phone's 1xx
    bool answer_given_early = false;  // accepted: the sdp was already given with early media
};
using ClientNotices = std::vector<ClientNotice>;

// What every call of one gateway shares; owned by the gateway, outlives its calls.
struct CallServices {
    media::MediaEngine &media;
    sip::CallControl &sip;
    const access::AddressPolicy &address_policy;  // where phones' media may be sent
    stats::Counters &counters;
    const log::Logger &logger;
    std::size_t max_media_lines;
};

// Why an incoming call is not taken, and the SIP answer that says so.
struct IncomingRefusal {
    std::uint16_t code = 488;
    std::string reason;
};

class CallSession {
public:
    // An outgoing call: reads the browser's offer, holds ports, starts the media and
    // places `call` (its id and sdp are filled here). Error text when it cannot start;
    // nothing is held then.
    static std::variant<CallSession, std::string> place(CallServices &services, sip::OutgoingCallSpec call,
                                                        const std::string &browser_offer, std::string log_name);
    // An incoming call (sip::CallUpdate::incoming): reads the phone's offer, holds ports
    // and starts the media, so that the browser's checks may come before its answer.
    // When it cannot be taken, the caller is to be answered with the refusal.
    static std::variant<CallSession, IncomingRefusal> receive(CallServices &services, const sip::CallUpdate &incoming,
                                                              std::string log_name);

    sip::CallId id() const { return id_; }
    CallState state() const { return state_; }
    bool incoming() const { return incoming_; }
    bool answered() const { return answered_; }
    // Neither answered nor ending: what max_call_setups_per_connection counts.
    bool in_setup() const { return !answered_ && state_ != CallState::terminating && state_ != CallState::terminated; }
    // Incoming: the gateway's offer for the browser.
    const std::string &browser_offer() const { return browser_offer_; }

    // Incoming, ringing: the browser's answer. Error text when it is refused (the call
    // then goes on ringing); nothing when the 200 went to the SIP side.
    bool can_answer() const { return incoming_ && state_ == CallState::connecting; }
    // `extra_headers`: whole header lines for the 200, checked by the client's dialect.
    std::optional<std::string> answer(const std::string &browser_answer, const std::string &extra_headers = {});
    // The client answers a change the phone made (sylkRTC-2): a hold or resume the
    // gateway settled with the phone is offered to the browser (`update` received) as well.
    void set_browser_follows_phone_changes() { browser_follows_phone_changes_ = true; }
    // The client asks to end it: CANCEL, decline with `decline_code`, or BYE.
    bool can_terminate() const { return state_ != CallState::terminating && state_ != CallState::terminated; }
    void terminate(std::uint16_t decline_code);
    // Once answered: a DTMF digit to the phone (SIP INFO). Error text in other states.
    std::optional<std::string> send_dtmf(char digit, unsigned duration_ms);
    // Once answered: the browser's new offer (hold, resume, video added), sent to the phone
    // in a re-INVITE; the outcome comes as an `update` notice. Error text when it cannot go
    // (nothing is sent then). While the browser was asked to renegotiate (an `update`
    // notice "received" with an offer), this is its answer.
    std::optional<std::string> update(const std::string &browser_offer);
    // Its client has gone: the media stops now, the SIP call is ended, nothing is told.
    void abandon(std::uint16_t decline_code);

    ClientNotices sip_changed(const sip::CallUpdate &update);
    ClientNotices media_changed(const media::MediaEvent &event);

private:
    CallSession(CallServices &services, sip::CallId id, bool incoming, std::string log_name);
    // The SDP text read, or "invalid SDP: WHY".
    static std::variant<sdp::SessionDescription, std::string> parse_sdp(const std::string &text);
    ClientNotices phone_progress(const sip::CallUpdate &update);
    ClientNotices phone_answered(const sip::CallUpdate &update);
    // The phone's answer read against the lines we offered it: the description, or why it
    // cannot be bridged.
    std::variant<sdp::PhoneDescription, std::string> read_phone_answer(const std::string &text,
                                                                       const std::vector<sdp::MediaLine> &offer) const;
    void point_relay_at(const sdp::PhoneDescription &phone);
    std::vector<media::BridgedLine> relay_lines(const std::vector<sdp::MediaLine> *answered,
                                                const std::vector<sdp::RtpPeer> &peers);
    std::vector<media::BridgedLine> checked(std::vector<media::BridgedLine> lines);  // the phone's addresses
    std::string browser_answer_for(const sdp::PhoneDescription &phone) const;
    ClientNotices accepted_once_up();  // incoming: `accepted` once, before `established`
    // Offers and answers in the dialog, once answered (call/media_agreement).
    ClientNotices phone_reoffered(const sip::CallUpdate &update);
    ClientNotices phone_answered_reoffer_in_ack(const sip::CallUpdate &update);
    ClientNotices phone_answered_update(const sip::CallUpdate &update);
    // The phone's offer needs the browser (another codec): offered to it, answered with its
    // session-update, or given up when the SIP side stopped waiting.
    std::optional<ClientNotices> ask_browser(std::uint32_t update_seq, const sdp::SessionDescription &offer);
    std::optional<std::string> answer_remote_update(const std::string &browser_answer);
    // How many relayable m-lines the phone's offer adds at the end, when they may be
    // carried (within max_media_lines, none refused before); else 0.
    std::size_t lines_the_phone_adds(const sdp::SessionDescription &offer) const;
    ClientNotices remote_update_expired(const sip::CallUpdate &update);
    // The browser sends codecs the phone has not taken (the 200 chose other codecs than the
    // early answer the browser applied; an offerless call's phone chose another in its
    // ACK): the browser is offered what the call carries, with no SIP answer due.
    ClientNotices bring_browser_to_agreement();
    ClientNotices phone_change_settled();
    bool first_codec_left_out(const std::vector<sdp::MediaLine> &browser_lines) const;
    void settle_state();  // accepted or established again, once an update is over
    void apply_agreement(MediaAgreement agreement);
    std::variant<MediaAgreement, std::string> phone_answer_to(const MediaAgreement &offered, const std::string &text,
                                                              const char *when_missing) const;
    ClientNotices update_notice(std::string originator, std::string state, std::string sdp = {},
                                std::string reason = {}) const;
    sdp::GatewayRtp phone_side_rtp() const;
    // Port pairs for `lines` more relayed lines: the idle ones the call holds, then new ones,
    // handed to the media session at once (it releases them with the call). Error text
    // when the range has none left.
    std::optional<std::string> hold_ports_for(std::size_t lines);
    // Why the browser's lines past the plan cannot be added, or nothing.
    std::optional<std::string> refuse_added_lines(const std::vector<sdp::MediaLine> &browser_lines) const;
    // Offerless: reads the phone's answer from its ACK and points the relay; false when the
    // call ends instead.
    bool phone_answered_in_ack(const std::string &phone_answer);
    void end_by_gateway(std::string reason, std::uint16_t code);
    ClientNotices ended(const std::string &sip_reason);
    void count_ended() const;  // the active count down (place and receive counted it up), the ended totals up

    CallServices *services_;  // the gateway's; a pointer so that sessions can move
    sip::CallId id_;
    bool incoming_;
    std::string log_name_;  // "session <the client's id>"
    CallState state_ = CallState::connecting;
    bool answered_ = false;
    std::string end_reason_;  // when the gateway ended it (media, an answer it refused), told instead of SIP's
    std::vector<sdp::MediaLine> offered_;    // the offerer's lines (browser's or phone's)
    std::vector<sdp::RtpPeer> phone_peers_;  // incoming: from the phone's offer
    std::string browser_offer_;              // incoming: what the browser was offered
    // Incoming without an offer: the browser was offered the gateway's capabilities, and
    // the phone the lines the browser took (its answer comes in the ACK).
    bool offerless_ = false;
    bool awaiting_answer_in_ack_ = false;
    std::vector<sdp::MediaLine> phone_offer_lines_;
    // Outgoing: the early answers by To tag (each fork keeps its own until a 2xx picks
    // one), what the browser was answered, and whether media was up before the 2xx.
    std::map<std::string, sdp::PhoneDescription> early_answers_;
    std::string browser_answer_;
    bool media_up_early_ = false;
    bool media_up_ = false;  // ICE and DTLS done (told `established`, or held until `accepted`)
    bool inside_address_seen_ = false;  // a phone address the relay only learns from
    // Once answered: what both sides agreed, against which later offers are read.
    std::optional<MediaAgreement> agreement_;
    std::string phone_origin_;      // incoming: the o= line of the phone's first offer
    std::string phone_first_sdp_;   // our first description to the phone (offer or answer)
    // The browser's offer sent on to the phone, while its answer is awaited.
    struct LocalUpdate {
        MediaAgreement offered;
        std::vector<sdp::MediaLine> browser_lines;
        std::vector<sdp::MediaLine> plan;  // offered_ with the lines the browser adds
    };
    std::optional<LocalUpdate> local_update_;
    bool last_offer_refused_ = false;  // our last description to the phone was an offer it refused
    struct RemoteUpdate {
        std::uint32_t seq = 0;
        sdp::PhoneDescription reoffer;
        std::vector<sdp::MediaLine> browser_lines;  // what the browser was offered for it
        bool sip_answer_due = true;  // false: the browser only catches up with the agreement
    };
    std::optional<RemoteUpdate> remote_update_;
    bool browser_follows_phone_changes_ = false;
    std::optional<MediaAgreement> offered_in_answer_;  // our offer in a 200 to an offerless re-INVITE
    unsigned browser_version_ = 1;  // the o= version of our last description to the browser
    media::MediaSessionSpec media_;
};

}  // namespace sylk::call
