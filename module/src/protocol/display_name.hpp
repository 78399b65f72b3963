// The rules a client's text must meet before it may go into a SIP header line: its
// display name (the From of every REGISTER and INVITE), its User-Agent, header values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sylk::protocol {

// Longest display name accepted, in characters (code points).
constexpr std::size_t kMaxDisplayNameLength = 128;

// Why `text` (the client's field `field`) cannot go into a header line: not UTF-8, a
// control character (CR and LF among them), longer than `max_characters`; or nothing.
std::optional<std::string> text_line_problem(std::string_view field, std::string_view text, std::size_t max_characters);

// Why `name` is refused (not UTF-8, a control character, too long), or nothing when it
// is fine. Quotes and backslashes are fine: the SIP side escapes them.
std::optional<std::string> display_name_problem(std::string_view name);

}  // namespace sylk::protocol
