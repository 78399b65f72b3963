// Which IP addresses the gateway may send SIP and media to. Addresses that reach inside
// a network (loopback, private, shared, link-local, multicast, unspecified, reserved)
// are refused unless an allowed network holds them: otherwise any web client could aim
// an INVITE, a REGISTER or decrypted browser media at the gateway's own host or its
// intranet. Public addresses are always allowed. Pure and immutable once built: the web
// thread and the SIP thread each keep their own copy.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sylk::access {

// An IPv4 or IPv6 network; IPv4 is kept as IPv4-mapped IPv6 so that one compare serves both.
struct Network {
    std::array<std::uint8_t, 16> address{};
    unsigned prefix = 128;  // in the IPv6 form: an IPv4 /8 is /104

    bool contains(const std::array<std::uint8_t, 16> &other) const;
    std::string text() const;
};

// "10.1.0.0/16", "fd00::/8", or a single address; nothing when it is neither.
std::optional<Network> parse_network(std::string_view text);
// An address as the 16-byte mapped form; nothing when `text` is not an IP address.
std::optional<std::array<std::uint8_t, 16>> parse_address(std::string_view text);

class AddressPolicy {
public:
    AddressPolicy() = default;
    explicit AddressPolicy(std::vector<Network> allowed) : allowed_(std::move(allowed)) {}

    // Nothing when the gateway may send to `address` (an IP address in text); otherwise why not,
    // as "10.0.0.7 is a private address". Text that is not an IP address is refused too.
    std::optional<std::string> refusal(std::string_view address) const;

    const std::vector<Network> &allowed() const { return allowed_; }

private:
    std::vector<Network> allowed_;
};

// What kind of inside address `address` is ("loopback", "private"...), or nothing for a public one.
const char *restricted_kind(const std::array<std::uint8_t, 16> &address);

// The networks of the interfaces that hold `address` (all interfaces for 0.0.0.0 or ::),
// as the kernel reports them: a gateway on 127.0.0.1 gets 127.0.0.0/8, one on
// 10.1.2.3/24 gets 10.1.2.0/24. An address no interface holds gives itself alone.
std::vector<Network> local_networks_of(std::string_view address);

// The gateway's policy: `allowed` (CIDR texts, already checked) and the networks of each
// of `own_addresses` (its SIP and media addresses, its outbound proxy: a name is resolved
// once, here, by the system's resolver), so that a lab on loopback or an intranet works
// with no setting of its own.
AddressPolicy gateway_policy(const std::vector<std::string> &allowed, const std::vector<std::string> &own_addresses);

}  // namespace sylk::access
