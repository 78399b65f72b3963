#include "sip/tls_verification.hpp"

#include "config/configuration.hpp"
#include "log/logger.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <re.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>

namespace sylk::sip {

namespace {

bool is_ip_address(const std::string &name) {
    unsigned char buffer[16];
    return inet_pton(AF_INET, name.c_str(), buffer) == 1 || inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

std::string lowercase(std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

std::string openssl_error() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "unknown error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

std::string subject_of(X509 *certificate) {
    if (!certificate) return "no certificate";
    char text[256] = "";
    X509_NAME_oneline(X509_get_subject_name(certificate), text, sizeof text);
    return text;
}

std::string address_text(const struct sa &address) {
    char text[64] = "";
    if (re_snprintf(text, sizeof text, "%J", &address) < 0) return "?";
    return text;
}

// What one context verifies, and (DNS routes) which domains were routed to which address.
class RegistrarTls {
public:
    RegistrarTls(const RegistrarTlsSettings &settings, const log::Logger &logger) : settings_(settings), logger_(logger) {}
    ~RegistrarTls() {
        for (auto &[address, destination] : destinations_) X509_free(destination.certificate);
    }
    RegistrarTls(const RegistrarTls &) = delete;
    RegistrarTls &operator=(const RegistrarTls &) = delete;

    const RegistrarTlsSettings &settings() const { return settings_; }
    const log::Logger &logger() const { return logger_; }

    int note_route(const std::string &address, std::string_view domain) {
        std::string name = lowercase(domain);
        Destination &destination = destinations_[address];
        if (destination.certificate) {
            if (certificate_matches(destination.certificate, name)) return 0;
            logger_.warning("TLS: not sending to " + address + " for '" + name + "': the open connection's certificate (" +
                            subject_of(destination.certificate) + ") is not valid for that name");
            return EACCES;
        }
        destination.pending.insert(std::move(name));
        return 0;
    }

    // The single name a new connection to `address` is expected to be for, if there is one.
    std::optional<std::string> expected_name(const std::optional<std::string> &address) const {
        if (settings_.server_name) return settings_.server_name;
        if (!address) return std::nullopt;
        auto found = destinations_.find(*address);
        if (found == destinations_.end() || found->second.pending.size() != 1) return std::nullopt;
        return *found->second.pending.begin();
    }

    // Depth 0 of a chain that verified, on a connection with no configured server name.
    bool check_route(SSL *ssl, X509 *leaf) {
        std::optional<std::string> address = libre_peer_address(ssl);
        if (!address) {
            refuse("unknown address", leaf,
                   "cannot tell which registrar this connection is to (libre's tls_conn is not laid out as in libre 1.1.0)");
            return false;
        }
        Destination &destination = destinations_[*address];
        std::set<std::string> names;
        names.swap(destination.pending);  // checked now, whatever the outcome
        if (names.empty()) {
            refuse(*address, leaf, "no SIP domain was routed to this address, so there is no name to check");
            return false;
        }
        for (const auto &name : names)
            if (!certificate_matches(leaf, name)) {
                refuse(*address, leaf, "not valid for '" + name + "'");
                return false;
            }
        X509_up_ref(leaf);
        X509_free(destination.certificate);
        destination.certificate = leaf;
        destination.verified_by = ssl;
        return true;
    }

    void forget_connection(const std::string &address, const SSL *ssl) {
        auto found = destinations_.find(address);
        if (found == destinations_.end() || found->second.verified_by != ssl) return;
        X509_free(found->second.certificate);
        found->second.certificate = nullptr;
        found->second.verified_by = nullptr;
        if (found->second.pending.empty()) destinations_.erase(found);
    }

    void refuse(const std::string &address, X509 *certificate, const std::string &reason) const {
        logger_.warning("TLS: refused the certificate of " + address + " (" + subject_of(certificate) + "): " + reason);
    }

private:
    struct Destination {
        std::set<std::string> pending;      // domains routed here since the last handshake
        X509 *certificate = nullptr;        // of the open connection, verified (owned)
        const SSL *verified_by = nullptr;   // that connection
    };

    RegistrarTlsSettings settings_;
    const log::Logger &logger_;
    std::map<std::string, Destination> destinations_;  // by "ip:port"
};

// Attached to each client SSL whose certificate was checked against route names, so that
// the verified certificate is forgotten with the connection.
struct VerifiedConnection {
    RegistrarTls *owner;
    std::string address;
};

void free_registrar_tls(void *, void *pointer, CRYPTO_EX_DATA *, int, long, void *) {
    delete static_cast<RegistrarTls *>(pointer);
}

void free_verified_connection(void *parent, void *pointer, CRYPTO_EX_DATA *, int, long, void *) {
    auto *connection = static_cast<VerifiedConnection *>(pointer);
    if (!connection) return;
    // The SSL holds a reference on its context: the context's RegistrarTls is still alive.
    connection->owner->forget_connection(connection->address, static_cast<const SSL *>(parent));
    delete connection;
}

int context_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_registrar_tls);
    return index;
}

int connection_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_verified_connection);
    return index;
}

RegistrarTls *registrar_tls(const SSL_CTX *context) {
    return context ? static_cast<RegistrarTls *>(SSL_CTX_get_ex_data(context, context_index())) : nullptr;
}

int verify_callback(int ok, X509_STORE_CTX *store) {
    auto *ssl = static_cast<SSL *>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    RegistrarTls *tls = ssl ? registrar_tls(SSL_get_SSL_CTX(ssl)) : nullptr;
    if (!tls) return ok;
    if (!ok) {
        int error = X509_STORE_CTX_get_error(store);
        std::string reason = X509_verify_cert_error_string(error);
        if (tls->settings().server_name &&
            (error == X509_V_ERR_HOSTNAME_MISMATCH || error == X509_V_ERR_IP_ADDRESS_MISMATCH))
            reason = "not valid for '" + *tls->settings().server_name + "' (" + reason + ")";
        std::optional<std::string> address = libre_peer_address(ssl);
        tls->refuse(address.value_or("unknown address"), X509_STORE_CTX_get_current_cert(store),
                    reason + " (depth " + std::to_string(X509_STORE_CTX_get_error_depth(store)) + ")");
        return 0;
    }
    if (X509_STORE_CTX_get_error_depth(store) > 0 || tls->settings().server_name) return 1;  // OpenSSL checked the name
    X509 *leaf = X509_STORE_CTX_get_current_cert(store);
    if (!tls->check_route(ssl, leaf)) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
        return 0;
    }
    auto *connection = new VerifiedConnection{tls, libre_peer_address(ssl).value_or("")};
    if (auto *previous = static_cast<VerifiedConnection *>(SSL_get_ex_data(ssl, connection_index()))) delete previous;
    SSL_set_ex_data(ssl, connection_index(), connection);
    return 1;
}

// Client connections: SNI from the name they are expected to be for (not for IP addresses,
// RFC 6066). Called by OpenSSL before it writes the ClientHello.
void info_callback(const SSL *ssl, int where, int) {
    if (!(where & SSL_CB_HANDSHAKE_START) || SSL_is_server(ssl)) return;
    RegistrarTls *tls = registrar_tls(SSL_get_SSL_CTX(ssl));
    if (!tls || SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) return;
    std::optional<std::string> address;
    if (!tls->settings().server_name) address = libre_peer_address(ssl);
    std::optional<std::string> name = tls->expected_name(address);
    if (name && !is_ip_address(*name))
        SSL_set_tlsext_host_name(const_cast<SSL *>(ssl), name->c_str());  // the callback only gets a const SSL
}

// Incoming connections (SIP clients): no certificate is asked of them; the verification
// set on the context is for registrars.
int client_hello_callback(SSL *ssl, int *, void *) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    return SSL_CLIENT_HELLO_SUCCESS;
}

std::string default_location(const char *environment, const char *built_in) {
    const char *value = std::getenv(environment);
    return value && *value ? std::string(value) + " (from $" + environment + ")" : std::string(built_in);
}

}  // namespace

bool certificate_matches(X509 *certificate, std::string_view name) {
    if (!certificate || name.empty()) return false;
    std::string text(name);
    if (is_ip_address(text)) return X509_check_ip_asc(certificate, text.c_str(), 0) == 1;
    return X509_check_host(certificate, text.data(), text.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr) == 1;
}

std::optional<std::string> libre_peer_address(const SSL *ssl) {
    // libre 1.1.0, src/tls/openssl/tls_tcp.c, built against OpenSSL >= 1.1 (TLS_BIO_OPAQUE):
    // struct tls_conn { SSL *ssl; BIO_METHOD *biomet; BIO *sbio_out; BIO *sbio_in;
    //                   struct tcp_helper *th; struct tcp_conn *tcp; bool active; bool up; };
    // and the write BIO's data is that tls_conn.
    struct LibreTlsConn {
        SSL *ssl;
        void *biomet;
        BIO *sbio_out;
        BIO *sbio_in;
        void *th;
        struct tcp_conn *tcp;
    };
    if (!ssl) return std::nullopt;
    BIO *out = SSL_get_wbio(ssl);
    BIO *in = SSL_get_rbio(ssl);
    if (!out || !in || out == in) return std::nullopt;
    const auto *connection = static_cast<const LibreTlsConn *>(BIO_get_data(out));
    if (!connection || connection->ssl != ssl || connection->sbio_out != out || connection->sbio_in != in ||
        !connection->tcp)
        return std::nullopt;
    struct sa peer;
    if (tcp_conn_peer_get(connection->tcp, &peer) != 0) return std::nullopt;
    return address_text(peer);
}

void configure_registrar_tls(SSL_CTX *context, const RegistrarTlsSettings &settings, const log::Logger &logger) {
    ERR_clear_error();
    if (!settings.ca_file.empty() && SSL_CTX_load_verify_locations(context, settings.ca_file.c_str(), nullptr) != 1)
        throw config::SettingError("sip_tls_ca_file", "cannot load '" + settings.ca_file + "': " + openssl_error());

    delete registrar_tls(context);
    SSL_CTX_set_ex_data(context, context_index(), new RegistrarTls(settings, logger));
    SSL_CTX_set_info_callback(context, info_callback);
    SSL_CTX_set_client_hello_cb(context, client_hello_callback, nullptr);

    if (!settings.verify_server) {
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
        logger.warning("TLS: registrars' certificates are NOT verified ([TLS] verify_server is off): anyone on the "
                       "path to a registrar can pose as it and read every REGISTER" +
                       std::string(settings.ca_file.empty() ? "" : "; ca_list is loaded but not used"));
        return;
    }

    std::string trusted;
    if (settings.ca_file.empty()) {
        if (SSL_CTX_set_default_verify_paths(context) != 1)
            throw config::SettingError("sip_tls_ca_file", "cannot load the system's trusted CAs: " + openssl_error());
        trusted = "the system's trusted CAs (OpenSSL default paths: " +
                  default_location(X509_get_default_cert_file_env(), X509_get_default_cert_file()) + ", " +
                  default_location(X509_get_default_cert_dir_env(), X509_get_default_cert_dir()) + ")";
    } else {
        // Every certificate in ca_list is a trust anchor, a CA's or not (as in SylkServer).
        X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(context), X509_V_FLAG_PARTIAL_CHAIN);
        trusted = "the CAs in " + settings.ca_file + " only";
    }

    std::string name_check;
    if (settings.server_name) {
        X509_VERIFY_PARAM *parameters = SSL_CTX_get0_param(context);
        X509_VERIFY_PARAM_set_hostflags(parameters, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        int set = is_ip_address(*settings.server_name)
                      ? X509_VERIFY_PARAM_set1_ip_asc(parameters, settings.server_name->c_str())
                      : X509_VERIFY_PARAM_set1_host(parameters, settings.server_name->c_str(), 0);
        if (set != 1)
            throw config::SettingError("outbound_sip_proxy",
                                       "cannot check certificates against '" + *settings.server_name + "': " + openssl_error());
        name_check = "the outbound proxy's name, " + *settings.server_name;
    } else {
        name_check = "the SIP domain each request is routed for";
    }
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, verify_callback);
    logger.info("TLS: registrars' certificates must chain to " + trusted + " and be valid for " + name_check);
}

int note_registrar_route(SSL_CTX *context, const struct sa &destination, std::string_view name) {
    RegistrarTls *tls = registrar_tls(context);
    if (!tls || !tls->settings().verify_server || tls->settings().server_name) return 0;
    return tls->note_route(address_text(destination), name);
}

}  // namespace sylk::sip
