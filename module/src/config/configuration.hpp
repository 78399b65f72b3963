// Typed settings of the gateway, parsed from the JSON object a host passes to create().
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sylk::config {

// A list such as web_origins or sip_domains: either "*" (anything) or explicit values.
struct AllowList {
    bool any = true;
    std::vector<std::string> values;  // lowercased for domains, as given for origins

    bool allows(const std::string &value) const;
};

// The outbound proxy as parsed once from "host[:port][;transport=udp|tcp|tls]".
struct SipProxy {
    std::string host;                  // without IPv6 brackets
    std::optional<std::uint16_t> port;
    std::optional<std::string> transport;  // "udp", "tcp" or "tls"
    std::string text;                  // as configured, for messages

    // "sip:host[:port][;transport=x]", the Route URI (libre adds ;lr itself).
    std::string route_uri() const;
};

struct Configuration {
    std::string web_listen_address = "127.0.0.1";
    std::uint16_t web_listen_port = 10888;
    std::string tls_certificate;  // PEM file with certificate chain and private key (as SylkServer's); turns on wss
    AllowList web_origins;
    AllowList sip_domains;
    std::optional<SipProxy> outbound_sip_proxy;
    bool trace_client = false;
    unsigned websocket_ping_interval = 120;   // seconds; 0 turns pings off
    std::size_t websocket_max_message_size = 256 * 1024;  // bytes

    // SIP side (libre). A port of 0 turns that transport off.
    std::string sip_listen_address = "127.0.0.1";
    std::uint16_t sip_udp_port = 5060;
    std::uint16_t sip_tcp_port = 5060;
    std::uint16_t sip_tls_port = 5061;
    std::string sip_tls_certificate;  // PEM with key: for incoming TLS; outgoing works without
    std::string sip_tls_ca_file;      // set: registrars' certificates must chain to these CAs (not the system's)
    bool sip_tls_verify_server = true;  // registrars' certificates checked (chain and name); off: not at all
    std::vector<std::string> dns_servers;  // ip[:port]; empty: the system's resolv.conf
    std::uint32_t register_expires = 600;  // seconds asked of the registrar
    unsigned unregister_timeout = 5;       // seconds stop() waits for unregistrations
    std::uint16_t decline_code = 486;      // SIP answer when a client declines an incoming call

    // Media side (the relay between browsers and phones).
    std::uint16_t rtp_port_first = 50000;  // RTP port range, both ends included: even ports for
    std::uint16_t rtp_port_last = 50500;   // RTP, odd for RTCP, a pair per browser transport too
    unsigned rtp_timeout = 30;   // seconds without RTP from the phone (or without a finished DTLS handshake)
    std::string media_address;   // the address written in SDPs; empty: sip_listen_address
    unsigned media_workers = 1;  // media threads, each with its own libre loop
    bool media_io_uring = true;  // phone sockets' reads and sends batched through io_uring where the kernel allows

    // What one client, and everyone together, may take (docs/configuration.md, "Limits").
    bool allow_unregistered_calls = false;   // true: as SylkServer, an account need not be registered to call
    std::vector<std::string> allowed_networks;  // CIDR: inside addresses SIP and media may go to, beyond the defaults
    std::size_t max_connections = 10000;
    std::size_t max_connections_per_ip = 100;
    std::size_t max_accounts_per_connection = 20;
    std::size_t max_calls_per_connection = 10;
    std::size_t max_call_setups_per_connection = 4;  // calls not yet answered
    std::size_t max_calls = 2000;                   // every connection together
    std::size_t max_media_lines = 4;                // bridged audio/video lines in one call
    unsigned max_requests_per_second = 20;          // per connection, with bursts of five seconds' worth
    std::size_t max_send_queue_bytes = 1024 * 1024;  // per connection: a client that does not read is closed
    unsigned call_setup_timeout = 180;              // seconds a call may ring before it ends (RFC 3261 Timer C)
    // Who may read /metrics, /health and /ready on the web port (CIDR); others get 404.
    std::vector<std::string> admin_networks{"127.0.0.0/8", "::1"};

    // What SDPs carry and browsers and phones send media to.
    const std::string &advertised_media_address() const {
        return media_address.empty() ? sip_listen_address : media_address;
    }

    bool uses_tls() const { return !tls_certificate.empty(); }

    // The addresses whose networks SIP and media may reach with no allowed_networks entry.
    std::vector<std::string> own_addresses() const {
        std::vector<std::string> own{sip_listen_address, advertised_media_address()};
        if (outbound_sip_proxy) own.push_back(outbound_sip_proxy->host);  // a name is resolved at start
        return own;
    }
};

// Why a configuration was refused; `setting` is the key at fault (may be empty).
struct ConfigurationError {
    std::string setting;
    std::string reason;
};

// Raised when a valid-looking setting cannot be used (a port in use, an unreadable
// certificate): carries the key so the host can point at the file and line it came from.
class SettingError : public std::runtime_error {
public:
    SettingError(std::string setting, const std::string &message)
        : std::runtime_error(message), setting_(std::move(setting)) {}
    const std::string &setting() const { return setting_; }

private:
    std::string setting_;
};

struct ParsedConfiguration {
    std::optional<Configuration> configuration;
    ConfigurationError error;  // meaningful only when configuration is empty
};

// Parses and validates; unknown keys are refused so that typos do not pass silently.
ParsedConfiguration parse_configuration(const std::string &json_text);

}  // namespace sylk::config
