// A small line-based model of an SDP (RFC 4566): what the translation between a
// browser's SDP and a SIP phone's needs, with every other line kept verbatim and in
// order. Pure: no I/O, no libre.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sylk::sdp {

// One "x=..." line: its type letter and what follows the '='.
struct Line {
    char type = 'a';
    std::string value;

    // For an attribute line "a=name:value" / "a=name": the name and value parts.
    std::string_view attribute_name() const;
    std::string_view attribute_value() const;  // empty when there is none
};

struct MediaSection {
    std::string media;     // "audio", "video", "application", ...
    std::uint16_t port = 0;
    std::string protocol;  // "UDP/TLS/RTP/SAVPF", "RTP/AVP", ...
    std::vector<std::string> formats;  // payload types (or other format tokens), as written
    std::vector<Line> lines;           // every line after the m= line, in order

    // The value of the first attribute `name` (a=name:value); empty optional when absent.
    std::optional<std::string> attribute(std::string_view name) const;
    std::vector<std::string> attributes(std::string_view name) const;
    bool has_attribute(std::string_view name) const;
    // The address of this section's c= line, if it has one.
    std::optional<std::string> connection_address() const;
};

struct SessionDescription {
    std::vector<Line> session_lines;  // v=, o=, s=, c=, t=, session attributes, in order
    std::vector<MediaSection> media;

    std::optional<std::string> attribute(std::string_view name) const;
    std::optional<std::string> connection_address() const;
    // The o= line's value ("" when there is none): the same one again is an unchanged session.
    std::string origin() const;
};

struct ParseError {
    std::string reason;
};

// Accepts CRLF or LF line ends. Refuses what a translation cannot rely on: no v=0
// first line, a line without '=', an m= line that is not "media port proto fmt...".
std::variant<SessionDescription, ParseError> parse(std::string_view text);

// CRLF line ends, as RFC 4566 requires.
std::string serialize(const SessionDescription &description);

}  // namespace sylk::sdp
