// Verification of registrars' TLS certificates, set up on libre's SSL_CTX.
//
// libre 1.1.0's SIP transport starts every outgoing TLS connection with tls_start_tcp()
// and nothing else: it never asks for verification, sends no SNI, checks no host name,
// and keeps the connection's tls_conn private (src/sip/transp.c). The one thing shared
// by all those connections is the SSL_CTX they are made from (tls_openssl_context), so
// everything is set there:
//
//  - trust: the system's CAs (OpenSSL's default verify paths, Debian's ca-certificates in
//    /etc/ssl/certs) or, when ca_list is set, the certificates in that file only;
//  - the name: with an outbound proxy every TLS connection goes to that proxy, so its host
//    is checked by OpenSSL itself (X509_VERIFY_PARAM on the context, inherited by each SSL)
//    and sent as SNI. Without one, the name is the SIP domain each request was routed for:
//    libre does not say which connection belongs to which request, so the request's send
//    handler reports (destination address, domain) through note_registrar_route() and the
//    verify callback finds the connection's peer address (see libre_peer_address) and
//    checks the certificate against every domain routed to that address;
//  - incoming TLS connections (the same SSL_CTX serves them) ask for no client certificate.
#pragma once

#include <openssl/types.h>

#include <optional>
#include <string>
#include <string_view>

struct sa;

namespace sylk::log {
class Logger;
}

namespace sylk::sip {

struct RegistrarTlsSettings {
    bool verify_server = true;  // [TLS] verify_server; off: nothing is checked (a warning is logged)
    std::string ca_file;        // [TLS] ca_list; empty: the system's trusted CAs
    // The outbound proxy's host (no IPv6 brackets): every TLS connection is to it.
    // Unset: each connection is checked against the domains routed to its address.
    std::optional<std::string> server_name;
};

// Sets up `context` (libre's SSL_CTX for SIP over TLS) for verifying registrars and logs
// what is trusted (a warning when verification is off). Keeps its state in the context
// (freed with it); `logger` must outlive the context. Throws config::SettingError
// ("sip_tls_ca_file") when ca_list cannot be loaded. Call on the thread that runs the
// context's connections (libre's), before any connection is made.
void configure_registrar_tls(SSL_CTX *context, const RegistrarTlsSettings &settings, const log::Logger &logger);

// Routes without an outbound proxy: call from the send handler of every request libre is
// about to send over TLS, with the destination libre chose and the domain the request was
// routed for (the account's domain). Returns 0 to send, or EACCES (and logs why) when a
// verified connection to `destination` is open whose certificate is not valid for `name`:
// libre would send the request over it. Otherwise `name` is recorded, and the certificate
// of the next connection to `destination` must be valid for it. Does nothing (0) when
// verification is off or a server name is configured, or on a context not set up here.
// Libre's thread only.
int note_registrar_route(SSL_CTX *context, const struct sa &destination, std::string_view name);

// The peer address ("ip:port", "[ip6]:port") of an SSL that libre's TLS-over-TCP made, read
// through libre 1.1.0's private struct tls_conn (the data of the SSL's write BIO). That
// layout is checked against the SSL before it is trusted (its SSL and both BIOs must be
// this SSL's); nullopt when it does not match or the socket has no peer.
std::optional<std::string> libre_peer_address(const SSL *ssl);

// Whether `certificate` is valid for `name`: an IP address against its IP subjectAltNames,
// a DNS name against its DNS subjectAltNames (the subject's CN only when it has none);
// a wildcard matches one whole leftmost label. Case-insensitive.
bool certificate_matches(X509 *certificate, std::string_view name);

}  // namespace sylk::sip
