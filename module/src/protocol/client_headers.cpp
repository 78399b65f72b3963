#include "protocol/client_headers.hpp"

#include "protocol/display_name.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace sylk::protocol {

namespace {

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

std::string lowercase(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower;
}

// Headers the gateway writes or that steer the transaction, the dialog, the body or the
// authentication: a client's copy would contradict them.
bool written_by_gateway(const std::string &lower) {
    static const std::array<std::string_view, 23> names = {
        "via", "from", "to", "call-id", "cseq", "contact", "max-forwards", "route", "record-route",
        "authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate", "supported",
        "require", "proxy-require", "session-expires", "min-se", "rack", "rseq", "allow", "expires", "user-agent"};
    return std::find(names.begin(), names.end(), lower) != names.end() || lower.rfind("content-", 0) == 0;
}

}  // namespace

std::optional<std::string> client_header_problem(const Header &header) {
    const std::string &name = header.name;
    if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), is_token_char))
        return "header name '" + std::string(name.substr(0, 64)) + "' is not a SIP token of at most 64 characters";
    std::string lower = lowercase(name);
    if (lower.size() == 1) return "header " + name + " is a compact form: write its full name";
    if (written_by_gateway(lower)) return "header " + name + " is written by the gateway";
    if (auto problem = text_line_problem("header " + name, header.value, kMaxHeaderValueLength)) return problem;
    return std::nullopt;
}

bool is_header_name_prefix(std::string_view prefix) {
    return !prefix.empty() && prefix.size() <= 64 && std::all_of(prefix.begin(), prefix.end(), is_token_char);
}

Headers headers_with_prefixes(const Headers &all, const std::vector<std::string> &prefixes) {
    Headers chosen;
    if (prefixes.empty()) return chosen;
    std::vector<std::string> lower_prefixes;
    for (const auto &prefix : prefixes) lower_prefixes.push_back(lowercase(prefix));
    for (const auto &header : all) {
        std::string lower = lowercase(header.name);
        if (std::any_of(lower_prefixes.begin(), lower_prefixes.end(),
                        [&lower](const std::string &prefix) { return lower.rfind(prefix, 0) == 0; }))
            chosen.push_back(header);
    }
    return chosen;
}

}  // namespace sylk::protocol
