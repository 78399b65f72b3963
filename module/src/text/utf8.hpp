// UTF-8 checks for text that crosses between protocols: a WebSocket text frame must be
// valid UTF-8 (websocketpp refuses to send anything else, so an event carrying a SIP
// display name in Latin-1 would vanish), and a display name from a client must be one
// before it reaches a SIP header.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sylk::text {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with every ill-formed sequence replaced by U+FFFD; valid text comes back unchanged.
std::string utf8_repaired(std::string text);

// The number of code points of valid UTF-8 text.
std::size_t utf8_length(std::string_view text);

}  // namespace sylk::text
