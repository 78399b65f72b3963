// One call's SIP side: an INVITE we send (OutgoingInvite: its 401/407 answered from the
// HA1 in the same dialog) or one we receive (libre's sipsess), its answer, and its end
// (CANCEL, BYE, a decline). Carries bodies; decides nothing about them.
// Lives on the libre thread only; reports through CallContext::sink.
#pragma once

#include "log/logger.hpp"
#include "sip/call_types.hpp"
#include "sip/dialog_updates.hpp"
#include "sip/outgoing_invite.hpp"
#include "sip/session_timer.hpp"

#include <re.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace sylk::sip {

class SipCall;
// Calls by Call-ID: where the agent's listeners find the dialog that a request or a
// retransmitted 2xx belongs to (outgoing calls from their INVITE on, incoming ones once
// answered; sipsess finds the rest of an incoming call's own).
using CallDialogs = std::unordered_map<std::string, SipCall *>;

// What every call of one agent shares; owned by the agent.
struct CallContext {
    struct ::sip *stack;
    struct sipsess_sock *sessions;
    std::optional<std::string> route;  // outbound proxy URI
    std::function<void(const CallUpdate &)> sink;
    std::function<void(CallId)> finished;  // called once the call may be destroyed (deferred by the agent)
    // The INVITE got a provisional answer: it is no longer retransmitted, so its slot in
    // the agent's window frees (a call left ringing must not hold it: F3 of the review).
    std::function<void(CallId)> provisional;
    const log::Logger &logger;
    CallDialogs &dialogs;
};

class SipCall {
public:
    // An outgoing call: the INVITE goes out at once. `contact_user` names our Contact.
    SipCall(const CallContext &context, OutgoingCallSpec spec, std::string contact_user);
    // An incoming call: answers 180 Ringing and reports `incoming`.
    SipCall(const CallContext &context, CallId id, BindingId binding, const struct sip_msg *invite,
            std::string contact_user);
    ~SipCall();
    SipCall(const SipCall &) = delete;
    SipCall &operator=(const SipCall &) = delete;

    // Incoming, unanswered: 200 OK with `sdp`.
    void answer(const std::string &sdp, const std::string &extra_headers);
    // Ends the call whatever its state: CANCEL (outgoing, unanswered), `decline_code`
    // (incoming, unanswered), BYE (answered). Reports `ended`.
    void end(std::uint16_t decline_code);
    // Ends an unanswered call that rang too long (CANCEL, or 480 for an incoming one),
    // reporting `reason`; an answered call is left alone.
    void give_up(const std::string &reason);
    // Answered: a DTMF digit as SIP INFO (application/dtmf-relay).
    void send_dtmf(char digit, unsigned duration_ms);
    // Answered: the answer to the phone's offer `update_seq`, and our own offer.
    void answer_update(std::uint32_t update_seq, std::uint16_t code, const std::string &sdp);
    void update(const std::string &sdp);

    // A request or a response found under this call's Call-ID: true when this call's
    // dialog took it, false to let others try (sipsess, for an incoming call).
    bool take_request(const struct sip_msg &request);
    bool take_response(const struct sip_msg &response);

private:
    void connect();
    CallUpdate update_of(CallUpdate::Kind kind) const;  // this call's id, `kind`, whether answered
    void report_answer(CallUpdate::Kind kind, const struct sip_msg &message);
    void report(CallUpdate::Kind kind, std::string sdp = {}, std::string reason = {});
    void finish(std::string reason);
    // The credentials header for a 401/407 to our INVITE, or nothing to give up.
    std::optional<std::string> answer_challenge(const struct sip_msg &message);
    void outgoing_ended(int err, const struct sip_msg *message);
    void retire_session();
    // The reason for a call that our side ended without an answer (libre's errno
    // value); errors that are not the network's get `otherwise` and the error's text.
    std::string local_failure_reason(int err, const char *otherwise) const;

    void drop_invite();  // forgets the outgoing dialog (sending CANCEL or BYE as it goes)
    // The dialog is up: offers and answers in it go through `updates_` from now on.
    void start_updates(struct sip_dialog *dialog);
    void stop_updates();
    void report_offer(CallUpdate::Kind kind, std::uint32_t seq, const std::string &sdp);  // the phone's, in the dialog
    // Session timers (RFC 4028): the terms a message carries; our refresh; the end when
    // the far end's refresh never came or ours failed.
    void adopt_session_expires(const struct sip_msg &message, bool answers_our_request);
    void refresh_session();
    void session_refresh_failed(std::uint16_t code, const struct sip_msg *response);
    void end_with(const std::string &reason);
    // From inside a DialogUpdates handler: the end waits for the loop's next turn (the
    // dialog's updates are freed with it).
    void end_soon(const std::string &reason);
    static void end_now(void *arg);
    // An INFO from the phone: a DTMF digit is reported; the status code to answer with.
    std::uint16_t info_received(const struct sip_msg &info);
    static void info_handler(struct ::sip *stack, const struct sip_msg *info, void *arg);

    // sipsess's handlers, for incoming calls.
    static int offer_handler(struct mbuf **descp, const struct sip_msg *message, void *arg);
    static int answer_handler(const struct sip_msg *message, void *arg);
    static void established_handler(const struct sip_msg *message, void *arg);
    static void close_handler(int err, const struct sip_msg *message, void *arg);

    const CallContext &context_;
    CallId id_;
    bool outgoing_;
    std::optional<OutgoingCallSpec> spec_;  // outgoing only
    std::string contact_user_;
    std::unique_ptr<OutgoingInvite> invite_;  // outgoing
    struct sipsess *session_ = nullptr;       // incoming
    struct sipsess *retired_ = nullptr;       // an incoming session that closed, freed with the call
    std::unique_ptr<DialogUpdates> updates_;  // answered: re-INVITEs and UPDATEs both ways
    SessionTimer timer_;
    bool peer_allows_update_ = false;  // its Allow lists UPDATE: refreshes go as UPDATE
    bool peer_supports_timer_ = false;
    std::string last_local_sdp_;       // our description as last agreed (a refresh re-INVITE sends it again)
    std::string offered_sdp_;          // our re-INVITE's offer, while its answer is awaited
    std::uint32_t pending_session_expires_ = 0;  // incoming: the interval its INVITE asked, for our 200
    struct tmr end_timer_{};
    std::string deferred_end_reason_;
    std::string call_id_;                     // its key in CallContext::dialogs, while there
    std::string local_sdp_;                   // our answer (incoming), or our offer to an offerless INVITE
    std::string ack_sdp_;                     // incoming, offerless: the phone's answer, from its ACK
    bool answered_ = false;
    bool challenge_answered_ = false;
    bool stale_answered_ = false;
    bool finished_ = false;
};

}  // namespace sylk::sip
