// Syntax of the identifiers a client sends: accounts (user@domain), hosts, HA1 digests.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sylk::protocol {

struct AccountAddress {
    std::string user;
    std::string domain;  // lowercased: domains compare case-insensitively
};

// "alice@example.com" -> {alice, example.com}; no "sip:" prefix, no display name. An
// IPv6 domain comes in brackets ("bob@[2001:db8::1]"), as it goes into SIP URIs.
std::optional<AccountAddress> parse_account_address(std::string_view text);

// A DNS name, an IPv4 address or an IPv6 address (without brackets).
bool is_valid_host(std::string_view host);

// A target a call may be placed to: user@host or host, with an optional sip:/sips: prefix
// and an optional :port after the host.
bool is_valid_call_target(std::string_view uri);

// The host of a valid call target, without brackets or port: "192.0.2.7" for
// "sip:bob@192.0.2.7:5080", "::1" for "bob@[::1]", "example.com" for "bob@example.com".
std::string call_target_host(std::string_view uri);

// 32 lowercase hex characters: MD5("user:realm:password") as the protocol requires.
bool is_valid_ha1(std::string_view text);

}  // namespace sylk::protocol
