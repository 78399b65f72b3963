// The rules a client's display name must meet before the gateway keeps it: it ends up
// in the From header of every REGISTER and INVITE of the account.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sylk::protocol {

// Longest display name accepted, in characters (code points).
constexpr std::size_t kMaxDisplayNameLength = 128;

// Why `name` is refused (not UTF-8, a control character, too long), or nothing when it
// is fine. Quotes and backslashes are fine: the SIP side escapes them.
std::optional<std::string> display_name_problem(std::string_view name);

}  // namespace sylk::protocol
