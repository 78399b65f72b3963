// What one call carries, m-line by m-line, as read from the side that offered: the
// shared vocabulary of browser_side.* and phone_side.*, and what the relay is set up
// from. Plain values; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sylk::sdp {

struct Codec {
    std::string payload_type;           // "111"
    std::string encoding;               // the rtpmap value, "opus/48000/2"; empty for a static type without one
    std::vector<std::string> fmtp;      // values of a=fmtp:<pt> ... (without the "<pt> ")
    std::vector<std::string> feedback;  // values of a=rtcp-fb:<pt> ... (without the "<pt> ")

    // "opus/48000" style key (name lowercased, clock): what matches a codec across sides.
    std::string match_key() const;
    // RTP timestamp units per second: the rtpmap's, else RFC 3551's for a static type; 0 if unknown.
    std::uint32_t clock_rate() const;
    bool is_telephone_event() const { return match_key().rfind("telephone-event/", 0) == 0; }
};

// Codecs named for the browser side and the phone side of one line, where their
// payload type numbers may differ (the relay rewrites them).
struct PayloadTypePair {
    std::uint8_t browser = 0;
    std::uint8_t phone = 0;
    std::uint32_t clock_rate = 0;  // the codec's (Codec::clock_rate), for jitter at hang-up
    bool telephone_event = false;  // RFC 4733 events: the phone's digits are told to the client
};

// One m-line. In an offer: what was offered. In an answer: what was accepted, with
// `codecs` holding the chosen ones under the offerer's payload type numbers.
struct MediaLine {
    std::string kind;       // "audio", "video", "application", ...
    std::string mid;        // the browser side's mid ("0", "1", ...)
    bool bridged = false;   // RTP audio or video with at least one codec both sides can carry
    std::string direction = "sendrecv";
    std::vector<Codec> codecs;  // in order of preference
    std::string protocol;       // as the offer wrote it (echoed on a refused line)
    std::string first_format;   // as the offer wrote it (echoed on a refused line)
    std::vector<PayloadTypePair> payload_types;  // answers only: browser <-> phone numbers
};

// The far end of one RTP stream, as its SDP announced it.
struct RtpPeer {
    std::string address;
    std::uint16_t port = 0;  // 0: the line was refused or is disabled
};

// ICE and DTLS parameters of a WebRTC peer, as its SDP announced them.
struct WebRtcParameters {
    std::string ice_ufrag;
    std::string ice_pwd;
    std::string fingerprint_algorithm;  // "sha-256"
    std::string fingerprint;            // "AB:CD:..."
    std::string setup;                  // "actpass", "active", "passive"
};

// The gateway's own side of the browser transport (ICE-lite, DTLS), one for the call.
struct GatewayWebRtc {
    std::string address;  // what the browser can reach
    std::uint16_t port = 0;
    std::string ice_ufrag;
    std::string ice_pwd;
    std::string fingerprint;  // sha-256, "AB:CD:..."
};

// The gateway's own plain RTP side: the address put in SDP and one port per bridged line.
struct GatewayRtp {
    std::string address;
    std::vector<std::uint16_t> ports;  // indexed like the plan's bridged lines
};

}  // namespace sylk::sdp

namespace sylk::sdp {

struct MediaSection;

// "111" -> 111; nothing for text that is not an RTP payload type (0-127).
std::optional<std::uint8_t> payload_type_number(std::string_view text);

// The codecs of an m-line (its formats with their rtpmap/fmtp/rtcp-fb), in order.
std::vector<Codec> read_codecs(const MediaSection &section);
// Appends the formats and their rtpmap/fmtp/rtcp-fb lines to an m-line being written.
void write_codecs(MediaSection &section, const std::vector<Codec> &codecs, bool with_feedback);

// Codecs a plain SIP phone can take from a browser and back: RTX, RED and FEC streams
// are left out (they need the browser's own recovery machinery on the other side).
bool is_bridgeable(const Codec &codec);

// The media direction attribute of an m-line ("sendrecv" when none is given).
std::string read_direction(const MediaSection &section);

// For each codec of `answer` (answerer's numbers), the offered codec it matches
// (same payload type for static types, same encoding name and clock otherwise).
// Returns the answered codecs renumbered to the offerer's types, and the pairs.
struct MatchedCodecs {
    std::vector<Codec> codecs;  // offerer's numbers, answer's order
    std::vector<std::pair<std::string, std::string>> numbers;  // {offered, answered}
};
MatchedCodecs match_codecs(const std::vector<Codec> &offered, const std::vector<Codec> &answer);

}  // namespace sylk::sdp
