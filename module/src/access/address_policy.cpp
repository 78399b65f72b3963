#include "access/address_policy.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

namespace sylk::access {

namespace {

using Bytes = std::array<std::uint8_t, 16>;

Bytes mapped(const struct in_addr &v4) {
    Bytes bytes{};
    bytes[10] = bytes[11] = 0xFF;
    std::memcpy(&bytes[12], &v4, 4);
    return bytes;
}

// Host bits cleared, so that a network compares and prints as its first address.
void clear_host_bits(Network &network) {
    for (unsigned bit = network.prefix; bit < 128; ++bit)
        network.address[bit / 8] = static_cast<std::uint8_t>(network.address[bit / 8] & ~(0x80 >> (bit % 8)));
}

bool is_mapped_v4(const Bytes &bytes) {
    for (int i = 0; i < 10; ++i)
        if (bytes[i]) return false;
    return bytes[10] == 0xFF && bytes[11] == 0xFF;
}

// The table of inside ranges (RFC 6890 and its IPv6 counterparts), in the mapped form.
struct Range {
    Network network;
    const char *kind;
};

const std::vector<Range> &restricted_ranges() {
    static const std::vector<Range> ranges = [] {
        const std::pair<const char *, const char *> table[] = {
            {"0.0.0.0/8", "unspecified"},     {"10.0.0.0/8", "private"},       {"100.64.0.0/10", "shared (carrier NAT)"},
            {"127.0.0.0/8", "loopback"},      {"169.254.0.0/16", "link-local"}, {"172.16.0.0/12", "private"},
            {"192.0.0.0/24", "reserved"},     {"192.168.0.0/16", "private"},   {"198.18.0.0/15", "reserved"},
            {"224.0.0.0/4", "multicast"},     {"240.0.0.0/4", "reserved"},     {"::/128", "unspecified"},
            {"::1/128", "loopback"},          {"fc00::/7", "private"},         {"fe80::/10", "link-local"},
            {"ff00::/8", "multicast"},        {"64:ff9b:1::/48", "private"},
        };
        std::vector<Range> built;
        for (const auto &[text, kind] : table) built.push_back({*parse_network(text), kind});
        return built;
    }();
    return ranges;
}

// The addresses a host name has now, by the system's resolver (once, at start).
std::vector<std::string> resolve_host(const std::string &host) {
    std::vector<std::string> addresses;
    struct addrinfo hints {};
    hints.ai_socktype = SOCK_DGRAM;
    struct addrinfo *found = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return addresses;
    for (auto *entry = found; entry; entry = entry->ai_next) {
        char text[INET6_ADDRSTRLEN] = "";
        const void *raw = entry->ai_family == AF_INET
                              ? static_cast<const void *>(&reinterpret_cast<struct sockaddr_in *>(entry->ai_addr)->sin_addr)
                              : static_cast<const void *>(&reinterpret_cast<struct sockaddr_in6 *>(entry->ai_addr)->sin6_addr);
        if ((entry->ai_family == AF_INET || entry->ai_family == AF_INET6) &&
            inet_ntop(entry->ai_family, raw, text, sizeof text))
            addresses.emplace_back(text);
    }
    freeaddrinfo(found);
    return addresses;
}

}  // namespace

bool Network::contains(const Bytes &other) const {
    unsigned whole = prefix / 8, rest = prefix % 8;
    if (std::memcmp(address.data(), other.data(), whole) != 0) return false;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    return (address[whole] & mask) == (other[whole] & mask);
}

std::string Network::text() const {
    char buffer[INET6_ADDRSTRLEN];
    if (is_mapped_v4(address) && prefix >= 96) {
        inet_ntop(AF_INET, &address[12], buffer, sizeof buffer);
        return std::string(buffer) + "/" + std::to_string(prefix - 96);
    }
    inet_ntop(AF_INET6, address.data(), buffer, sizeof buffer);
    return std::string(buffer) + "/" + std::to_string(prefix);
}

std::optional<Bytes> parse_address(std::string_view text) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    std::string copy(text);
    struct in_addr v4;
    if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) return mapped(v4);
    Bytes bytes;
    if (inet_pton(AF_INET6, copy.c_str(), bytes.data()) == 1) return bytes;
    return std::nullopt;
}

std::optional<Network> parse_network(std::string_view text) {
    std::string_view address = text, length;
    bool has_length = false;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        address = text.substr(0, slash);
        length = text.substr(slash + 1);
        has_length = true;
    }
    auto bytes = parse_address(address);
    if (!bytes) return std::nullopt;
    bool v4 = is_mapped_v4(*bytes) && address.find(':') == std::string_view::npos;
    unsigned prefix = v4 ? 32 : 128;
    if (has_length) {
        if (length.empty() || length.size() > 3) return std::nullopt;
        unsigned value = 0;
        for (char c : length) {
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value > prefix) return std::nullopt;
        prefix = value;
    }
    Network network{*bytes, v4 ? prefix + 96 : prefix};
    clear_host_bits(network);
    return network;
}

const char *restricted_kind(const Bytes &address) {
    for (const auto &range : restricted_ranges())
        if (range.network.contains(address)) return range.kind;
    if (is_mapped_v4(address)) return nullptr;
    // Other IPv6 forms that embed an IPv4 address (compatible ::a.b.c.d): judged as that address.
    bool compatible = true;
    for (int i = 0; i < 12; ++i) compatible = compatible && address[i] == 0;
    if (compatible) {
        Bytes v4{};
        v4[10] = v4[11] = 0xFF;
        std::memcpy(&v4[12], &address[12], 4);
        return restricted_kind(v4);
    }
    return nullptr;
}

std::optional<std::string> AddressPolicy::refusal(std::string_view address) const {
    auto bytes = parse_address(address);
    if (!bytes) return std::string(address) + " is not an IP address";
    const char *kind = restricted_kind(*bytes);
    if (!kind) return std::nullopt;
    for (const auto &network : allowed_)
        if (network.contains(*bytes)) return std::nullopt;
    return std::string(address) + " is a " + kind + " address (not in allowed_networks)";
}

std::vector<Network> local_networks_of(std::string_view address) {
    auto wanted = parse_address(address);
    std::vector<Network> networks;
    if (!wanted) return networks;
    Bytes any_v4 = *parse_address("0.0.0.0"), any_v6{};
    bool any = *wanted == any_v4 || *wanted == any_v6;
    struct ifaddrs *interfaces = nullptr;
    if (getifaddrs(&interfaces) == 0) {
        for (auto *entry = interfaces; entry; entry = entry->ifa_next) {
            if (!entry->ifa_addr || !entry->ifa_netmask) continue;
            Bytes bytes{}, mask{};
            unsigned offset = 0;
            if (entry->ifa_addr->sa_family == AF_INET) {
                bytes = mapped(reinterpret_cast<struct sockaddr_in *>(entry->ifa_addr)->sin_addr);
                mask = mapped(reinterpret_cast<struct sockaddr_in *>(entry->ifa_netmask)->sin_addr);
                offset = 96;
            } else if (entry->ifa_addr->sa_family == AF_INET6) {
                std::memcpy(bytes.data(), &reinterpret_cast<struct sockaddr_in6 *>(entry->ifa_addr)->sin6_addr, 16);
                std::memcpy(mask.data(), &reinterpret_cast<struct sockaddr_in6 *>(entry->ifa_netmask)->sin6_addr, 16);
            } else {
                continue;
            }
            if (!any && bytes != *wanted) continue;
            unsigned prefix = offset;
            for (unsigned i = offset / 8; i < 16; ++i) prefix += static_cast<unsigned>(__builtin_popcount(mask[i]));
            Network network{bytes, prefix};
            clear_host_bits(network);
            networks.push_back(network);
        }
        freeifaddrs(interfaces);
    }
    if (networks.empty() && !any) networks.push_back(Network{*wanted, 128});
    return networks;
}

AddressPolicy gateway_policy(const std::vector<std::string> &allowed, const std::vector<std::string> &own_addresses) {
    std::vector<Network> networks;
    for (const auto &text : allowed)
        if (auto network = parse_network(text)) networks.push_back(*network);
    for (const auto &address : own_addresses) {
        std::vector<std::string> resolved{address};
        if (!parse_address(address)) resolved = resolve_host(address);  // an outbound proxy given by name
        for (const auto &each : resolved)
            for (const auto &network : local_networks_of(each)) networks.push_back(network);
    }
    return AddressPolicy(std::move(networks));
}

}  // namespace sylk::access
