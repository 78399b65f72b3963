// What the two sides of an answered call have agreed, line by line: the codecs carried
// (under each side's payload type number), what each side said of its own direction,
// and where the phone receives. Every later offer in the dialog (RFC 3264 8: a session
// refresh, hold and resume, a new address, port or codec) is read against it, both
// from the phone (its re-INVITE or UPDATE) and towards it (the browser's hold).
// Pure: no I/O, no state of its own beyond the values.
#pragma once

#include "media/media_engine.hpp"
#include "sdp/media_plan.hpp"
#include "sdp/phone_side.hpp"
#include "sdp/session_description.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sylk::call {

// One codec the call carries on one line.
struct CarriedCodec {
    sdp::Codec phone;               // as the phone numbers and describes it
    std::uint8_t browser_type = 0;  // the browser's number for it
};

struct AgreedLine {
    std::string kind;
    std::vector<CarriedCodec> codecs;  // empty: the line carries nothing (refused)
    std::string phone_direction = "sendrecv";    // what the phone last said of itself
    std::string browser_direction = "sendrecv";  // what the browser last said of itself (we say it to the phone)
    sdp::RtpPeer phone;                          // where the phone receives
    bool relayed = false;                        // the relay has a line (and ports) for it
    std::string protocol;                        // as first offered (echoed on a refused line)
    std::string first_format;
    bool carried() const { return !codecs.empty(); }
};

struct MediaAgreement {
    // Indexed like the call's plan (every m-line of the first offer), then the lines the
    // phone added later (refused, never carried).
    std::vector<AgreedLine> lines;
    std::vector<std::size_t> phone_sections;  // the phone's m-lines in order: the plan line of each
    std::string phone_origin;                 // the o= line of the phone's last description
    unsigned local_version = 1;               // the o= version of our last description to the phone
    std::string local_description;            // our last description to the phone

    // The phone said sendonly or inactive on every line it carries: it holds the call.
    bool held_by_phone() const;
    // The browser said sendonly or inactive on every line it carries.
    bool held_by_browser() const;
};

// The agreement of the first offer and answer. `offer` and `answer` are indexed like the
// plan, the answer's codecs under the offer's numbers with their pairs (sdp::read_*_answer);
// `browser_offered`: the browser's lines were the offer (an outgoing call, or an offerless
// incoming one), else the phone's were.
MediaAgreement agree(const std::vector<sdp::MediaLine> &offer, const std::vector<sdp::MediaLine> &answer,
                     const std::vector<sdp::RtpPeer> &phone_peers, bool browser_offered,
                     const std::string &phone_origin, const std::string &local_description);

// RFC 3264 6.1: the direction an answerer says of itself, given the offerer's and what the
// answerer itself wants (its own last word): it sends only if the offerer receives, and so on.
std::string answer_direction(const std::string &offered, const std::string &wanted);

// The phone's new offer in the dialog, read against `agreement`: our answer and the
// agreement once it is given, or why it is refused (answered 488, nothing changes): a
// line removed, or no codec the browser already carries (that needs the browser).
struct ReofferAnswer {
    std::string answer;  // our SDP
    MediaAgreement agreement;
};
std::variant<ReofferAnswer, std::string> answer_phone_reoffer(const MediaAgreement &agreement,
                                                              const sdp::SessionDescription &offer,
                                                              const sdp::GatewayRtp &gateway,
                                                              const std::string &session_id);

// The phone's new offer needs the browser (codecs it does not carry, or m-lines it adds
// at the end: video added): the lines to offer the browser, indexed like the plan and
// then the added ones (fresh mids), each of the phone's as it offered it (its numbers
// and direction; the plan's mids), the others refused. Nothing when the browser cannot
// help (m-lines removed, or added after lines the phone added before and had refused).
std::optional<std::vector<sdp::MediaLine>> browser_reoffer_lines(const MediaAgreement &agreement,
                                                                 const std::vector<sdp::MediaLine> &plan,
                                                                 const sdp::PhoneDescription &reoffer);
// With the browser's answer to those (indexed like the plan, codecs under the phone's
// numbers): our answer to the phone and the agreement once it is given (added lines
// relayed), or why not.
std::variant<ReofferAnswer, std::string> answer_phone_reoffer_as_browser_did(const MediaAgreement &agreement,
                                                                             const sdp::PhoneDescription &reoffer,
                                                                             const std::vector<sdp::MediaLine> &browser,
                                                                             const sdp::GatewayRtp &gateway,
                                                                             const std::string &session_id);

// A line the browser adds in the dialog (video added), as our offer to the phone carries
// it: the browser's codecs under its own numbers and its direction; the phone's comes with
// its answer. Relayed: the call holds a port pair for it.
AgreedLine browser_added_line(const sdp::MediaLine &browser_line);

// Our offer to the phone: what the agreement carries, with the browser's directions as
// ours (its local version and description follow). Read the phone's answer against it.
std::string phone_offer(MediaAgreement &agreement, const sdp::GatewayRtp &gateway, const std::string &session_id);

// The phone's answer to phone_offer(`offered`): the new agreement, or why it cannot be
// taken (the call then keeps the old one).
std::variant<MediaAgreement, std::string> take_phone_answer(const MediaAgreement &offered,
                                                            const sdp::SessionDescription &answer);

// The browser's lines, answered from the agreement: its codecs that the call carries,
// the phone's direction as ours. For write_browser_answer.
std::vector<sdp::MediaLine> browser_answer_lines(const MediaAgreement &agreement,
                                                 const std::vector<sdp::MediaLine> &browser_offer);

// The relay's lines for the agreement: payload type pairs, where the phone receives,
// whether it receives (RTP) and sends at all.
std::vector<media::BridgedLine> agreed_relay_lines(const MediaAgreement &agreement, const media::PortReservation &ports);

}  // namespace sylk::call
