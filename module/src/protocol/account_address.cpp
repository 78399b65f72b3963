#include "protocol/account_address.hpp"

#include <algorithm>
#include <cctype>

namespace sylk::protocol {

namespace {

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// RFC 3261 user part: unreserved / escaped / user-unreserved.
bool is_valid_user(std::string_view user) {
    if (user.empty() || user.size() > 256) return false;
    for (std::size_t i = 0; i < user.size(); ++i) {
        char c = user[i];
        if (std::isalnum(static_cast<unsigned char>(c))) continue;
        if (c == '%') {
            if (i + 2 >= user.size() || !is_hex(user[i + 1]) || !is_hex(user[i + 2])) return false;
            i += 2;
            continue;
        }
        if (std::string_view("-_.!~*'()&=+$,;?/").find(c) == std::string_view::npos) return false;
    }
    return true;
}

bool is_dns_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    if (host.back() == '.') host.remove_suffix(1);  // a fully qualified name is fine
    std::size_t start = 0;
    while (start <= host.size()) {
        std::size_t dot = host.find('.', start);
        if (dot == std::string_view::npos) dot = host.size();
        std::string_view label = host.substr(start, dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        for (char c : label)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        start = dot + 1;
    }
    return true;
}

bool is_ipv6(std::string_view host) {
    if (host.size() < 2 || host.size() > 45) return false;
    int colons = 0;
    for (char c : host) {
        if (c == ':') ++colons;
        else if (!is_hex(c) && c != '.') return false;
    }
    return colons >= 2 && host.find(":::") == std::string_view::npos;
}

}  // namespace

bool is_valid_host(std::string_view host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        return is_ipv6(host.substr(1, host.size() - 2));
    return is_dns_name(host) || is_ipv6(host);
}

namespace {

// user@host with both parts valid, the host lowercased.
std::optional<AccountAddress> parse_user_at_host(std::string_view text) {
    auto at = text.find('@');
    if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos)
        return std::nullopt;
    std::string_view user = text.substr(0, at);
    std::string_view domain = text.substr(at + 1);
    if (!is_valid_user(user) || !is_valid_host(domain)) return std::nullopt;
    if (user.substr(0, 4) == "sip:" || user.substr(0, 5) == "sips:") return std::nullopt;
    AccountAddress address{std::string(user), std::string(domain)};
    std::transform(address.domain.begin(), address.domain.end(), address.domain.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return address;
}

}  // namespace

std::optional<AccountAddress> parse_account_address(std::string_view text) {
    auto address = parse_user_at_host(text);
    // The domain is written into SIP URIs as is ("sip:alice@" + domain): an IPv6 address
    // needs its brackets there (RFC 3261 25.1), or its colons read as a port.
    if (address && address->domain.find(':') != std::string::npos && address->domain.front() != '[')
        return std::nullopt;
    return address;
}

namespace {

bool is_valid_target_without_port(std::string_view uri) {
    if (uri.find('@') == std::string_view::npos) return is_valid_host(uri);
    return parse_user_at_host(uri).has_value();  // a bare IPv6 host is still taken here
}

}  // namespace

bool is_valid_call_target(std::string_view uri) {
    if (uri.substr(0, 4) == "sip:") uri.remove_prefix(4);
    else if (uri.substr(0, 5) == "sips:") uri.remove_prefix(5);
    if (is_valid_target_without_port(uri)) return true;  // user@::1 keeps its colons
    // An explicit port after the host (a phone on a known address: bob@192.0.2.7:5080).
    auto colon = uri.rfind(':');
    auto at = uri.find('@');
    if (colon == std::string_view::npos || (at != std::string_view::npos && colon < at)) return false;
    auto port = uri.substr(colon + 1);
    bool numeric = !port.empty() && port.size() <= 5 &&
                   std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!numeric || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) return false;
    return is_valid_target_without_port(uri.substr(0, colon));
}

std::string call_target_host(std::string_view uri) {
    if (uri.substr(0, 4) == "sip:") uri.remove_prefix(4);
    else if (uri.substr(0, 5) == "sips:") uri.remove_prefix(5);
    if (auto at = uri.find('@'); at != std::string_view::npos) uri.remove_prefix(at + 1);
    if (!uri.empty() && uri.front() == '[') return std::string(uri.substr(1, uri.find(']') - 1));
    if (is_ipv6(uri)) return std::string(uri);  // bare IPv6 keeps its colons
    return std::string(uri.substr(0, uri.find(':')));
}

bool is_valid_ha1(std::string_view text) {
    return text.size() == 32 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

}  // namespace sylk::protocol
