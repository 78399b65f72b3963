// Small conversions the SIP side uses in several places: libre's pointer-length strings
// and message bodies as std::string, display names as quoted-strings, and the random hex
// used for cnonces and Contact users.
// Libre thread only (rand_u64 is libre's).
#pragma once

#include <re.h>

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sylk::sip {

// The User-Agent of our REGISTERs, unless the client names its own (sylkRTC-2 user_agent);
// libre writes the same on every other request.
inline constexpr const char *kUserAgent = "sylk-webrtcgateway";

// ";name=value" for each parameter, every character outside RFC 3261's paramchar
// escaped as %XX: a client's push token cannot end the URI or the header.
inline std::string uri_parameters(const std::vector<std::pair<std::string, std::string>> &parameters) {
    auto escaped = [](std::string_view text) {
        static const char hex[] = "0123456789ABCDEF";
        std::string out;
        for (char c : text) {
            auto byte = static_cast<unsigned char>(c);
            if (std::isalnum(byte) || std::string_view("-_.!~*'()[]/:&+$").find(c) != std::string_view::npos) {
                out += c;
            } else {
                out += '%';
                out += hex[byte >> 4];
                out += hex[byte & 0xF];
            }
        }
        return out;
    };
    std::string text;
    for (const auto &[name, value] : parameters) text += ";" + escaped(name) + "=" + escaped(value);
    return text;
}

inline std::string pl_text(const struct pl &pl) { return pl.p ? std::string(pl.p, pl.l) : std::string(); }

// The body of a SIP message (the SDP of an INVITE or of its answer); empty when it has none.
inline std::string message_body(const struct sip_msg *message) {
    if (!message || !message->mb || mbuf_get_left(message->mb) == 0) return {};
    return std::string(reinterpret_cast<const char *>(mbuf_buf(message->mb)), mbuf_get_left(message->mb));
}

// The inside of a SIP quoted-string (RFC 3261 25.1) for a display name: `"` and `\`
// escaped. Control characters never reach a header line: the decoder refuses them from
// clients, and any that come here anyway are dropped rather than sent.
inline std::string quoted_string_content(std::string_view text) {
    std::string quoted;
    quoted.reserve(text.size() + 2);
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) continue;
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted;
}

// The whole quoted-string, quotes included.
inline std::string quoted_string(std::string_view text) { return '"' + quoted_string_content(text) + '"'; }

// A From or To header's name-addr (RFC 3261 25.1): `"name" <uri>`, or `<uri>` alone.
inline std::string name_addr(const std::optional<std::string> &display_name, std::string_view uri) {
    std::string value = display_name ? quoted_string(*display_name) + " " : std::string();
    return value + "<" + std::string(uri) + ">";
}

// The reason phrase we write after a status code we send (RFC 3261 21).
inline const char *status_phrase(std::uint16_t code) {
    switch (code) {
    case 200: return "OK";
    case 403: return "Forbidden";
    case 415: return "Unsupported Media Type";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 491: return "Request Pending";
    case 501: return "Not Implemented";
    case 603: return "Decline";
    default: return code < 300 ? "OK" : code < 500 ? "Declined" : "Server Internal Error";
    }
}

// 16 lowercase hex digits of libre's random generator.
inline std::string random_hex() {
    char buffer[17];
    re_snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(rand_u64()));
    return buffer;
}

}  // namespace sylk::sip
