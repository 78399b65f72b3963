// The SIP headers a sylkRTC-2 client may add to its INVITEs and 200s (`headers`), and
// the ones it is told of (`incoming_header_prefixes`). Its text reaches the SIP wire, so
// each header is checked here first (security-review.md F2).
#pragma once

#include "protocol/events.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sylk::protocol {

inline constexpr std::size_t kMaxClientHeaders = 16;
inline constexpr std::size_t kMaxHeaderValueLength = 1024;
inline constexpr std::size_t kMaxHeaderPrefixes = 16;

// Why `header` may not be added: a name that is not a SIP token, one the gateway writes
// itself (Via, Contact, CSeq, Content-*, ...) or a compact form; a value not fit for one
// header line. Nothing when it may.
std::optional<std::string> client_header_problem(const Header &header);

// Whether `prefix` can begin a header name: 1 to 64 SIP token characters.
bool is_header_name_prefix(std::string_view prefix);

// The headers of `all` whose names start with one of `prefixes` (case-insensitively).
Headers headers_with_prefixes(const Headers &all, const std::vector<std::string> &prefixes);

}  // namespace sylk::protocol
