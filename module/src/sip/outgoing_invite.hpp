// The INVITE client of one outgoing call, on libre's sip_dialog and sip_drequestf
// rather than sipsess: a challenged INVITE is sent again in the same dialog (same
// Call-ID and From tag, CSeq + 1, RFC 3261 8.1.3.5 and 22.2) with credentials computed
// from the HA1, which libre's sipsess cannot do (it answers challenges only from a plain
// password, and a retry in a new dialog is refused by proxies that bind nonces to the
// Call-ID). It sends the INVITE, ACKs the 2xx (again for each retransmission), CANCELs
// or BYEs, PRACKs reliable provisional answers (100rel) in each fork's early dialog, and
// answers BYE and INFO in the dialog (re-INVITEs and UPDATEs are the call's DialogUpdates').
// The dialog the INVITE was allocated with is never made into one: every dialog (each
// fork's early one, the confirmed one, a second fork's 2xx to end) is forked from it,
// since libre forks only from a dialog not yet created.
// Libre thread only; reports through OutgoingInvite::Events.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <re.h>

#include "sip/sent_ack.hpp"

namespace sylk::sip {

class OutgoingInvite {
public:
    struct Spec {
        std::string target;  // request URI and To, "sip:bob@example.com"
        std::string from;    // "sip:alice@example.com"
        std::optional<std::string> from_display_name;  // already a quoted-string's content
        std::string contact_user;
        std::optional<std::string> route;  // outbound proxy URI (loose route)
        std::string sdp;                   // the offer
        // Session-Expires asked (RFC 4028; Min-SE 90 with it); 0: no session timer asked.
        std::uint32_t session_expires = 0;
        std::string extra_headers;  // whole header lines: the client's own
    };
    struct Events {
        std::function<void(const struct sip_msg &)> provisional;  // every 1xx, 100 included
        std::function<void(const struct sip_msg &)> answered;     // the 2xx, ACKed: the dialog is up
        // A 401/407: the credentials header line(s) to send the INVITE again with, or
        // nothing to give up (the call then ends with that answer).
        std::function<std::optional<std::string>(const struct sip_msg &)> challenged;
        // The call is over: a final answer other than 2xx ("486 Busy Here"), the far end's
        // BYE ("200 Call completed"), or our side's failure (`error`, libre's errno value).
        std::function<void(int error, const struct sip_msg *answer)> ended;
        // An INFO in the dialog: the status code to answer it with.
        std::function<std::uint16_t(const struct sip_msg &)> info;
    };

    OutgoingInvite(struct ::sip *stack, Spec spec, Events events);
    // Unanswered: CANCEL (libre sends it once a provisional answer has come); answered:
    // BYE. No event follows.
    ~OutgoingInvite();
    OutgoingInvite(const OutgoingInvite &) = delete;
    OutgoingInvite &operator=(const OutgoingInvite &) = delete;

    // Sends the first INVITE. Returns 0 or libre's errno value.
    int start();
    const char *call_id() const;
    // An INFO in the dialog (answered only): 0 or libre's errno value.
    int send_info(const char *content_type, const std::string &body);
    bool answered() const { return answered_; }
    // The dialog, once answered (its offers and answers are the call's DialogUpdates').
    struct sip_dialog *dialog() const { return dialog_; }
    // Early dialogs kept at once (forks that sent a reliable provisional answer); the
    // provisional answers of more forks are reported, not PRACKed.
    static constexpr std::size_t kMaxEarlyDialogs = 8;

    // A request or a response that the agent's listeners found under this call's
    // Call-ID: true when it was this dialog's (handled), false to let others try.
    bool take_request(const struct sip_msg &request);
    bool take_response(const struct sip_msg &response);

private:
    int send_invite(const std::string &credentials);
    void invite_answered(int error, const struct sip_msg *answer);
    bool acknowledge_reliable(const struct sip_msg &answer);
    int confirm_dialog(const struct sip_msg &answer);
    void end(int error, const struct sip_msg *answer);
    static int contact_handler(enum sip_transp transport, const struct sa *source, const struct sa *destination,
                               struct mbuf *message, void *arg);
    static void response_handler(int error, const struct sip_msg *answer, void *arg);

    struct ::sip *stack_;
    Spec spec_;
    Events events_;
    struct sip_dialog *invite_dialog_ = nullptr;  // the INVITE's (Call-ID, From tag, CSeq, route); never created
    struct EarlyDialog {
        std::string tag;              // the fork's To tag
        struct sip_dialog *dialog;    // its PRACKs' dialog (RFC 3262)
        std::uint32_t last_rseq = 0;  // its last reliable provisional answer
    };
    std::vector<EarlyDialog> early_;
    struct sip_dialog *dialog_ = nullptr;   // the confirmed dialog, from the 2xx
    struct sip_request *invite_ = nullptr;  // while the INVITE waits for its final answer
    struct sip_loopstate loop_state_{};
    std::string credentials_;  // of the last challenge answered, sent again after a 422
    bool answered_ = false;
    bool ended_ = false;
    SentAck ack_;  // to send again for each retransmission of the 2xx
};

}  // namespace sylk::sip
