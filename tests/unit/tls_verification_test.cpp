// Registrar TLS verification on libre's SSL_CTX: the trust store, the name checks, and
// real libre TLS-over-TCP connections on loopback (the way libre's SIP transport makes them).
#include "config/configuration.hpp"
#include "log/logger.hpp"
#include "sip/tls_verification.hpp"

#include "libre_thread.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <re.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

extern "C" struct ssl_ctx_st *tls_openssl_context(const struct tls *tls);

using sylk::testing::on_libre_thread;

namespace {

namespace fs = std::filesystem;
using sylk::sip::certificate_matches;
using sylk::sip::configure_registrar_tls;
using sylk::sip::RegistrarTlsSettings;

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertificatePtr = std::unique_ptr<X509, decltype(&X509_free)>;

void add_extension(X509 *certificate, X509V3_CTX *context, int nid, const std::string &value) {
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str());
    BOOST_TEST_REQUIRE(extension != nullptr);
    X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
}

struct Issued {
    KeyPtr key{nullptr, EVP_PKEY_free};
    CertificatePtr certificate{nullptr, X509_free};
};

// A certificate for `common_name` with `alt_names` ("DNS:a,IP:1.2.3.4"; empty: none),
// signed by `issuer` (nullptr: self-signed).
Issued issue(const std::string &common_name, const std::string &alt_names, const Issued *issuer, bool ca = false) {
    static long serial = 1;
    Issued issued;
    issued.key.reset(EVP_EC_gen("P-256"));
    issued.certificate.reset(X509_new());
    X509 *certificate = issued.certificate.get();
    X509_set_version(certificate, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial++);
    X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
    X509_set_pubkey(certificate, issued.key.get());
    X509_NAME *name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>(common_name.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(certificate, issuer ? X509_get_subject_name(issuer->certificate.get()) : name);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer ? issuer->certificate.get() : certificate, certificate, nullptr, nullptr, 0);
    add_extension(certificate, &context, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_extension(certificate, &context, NID_key_usage,
                  ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment");
    add_extension(certificate, &context, NID_subject_key_identifier, "hash");
    if (!alt_names.empty()) add_extension(certificate, &context, NID_subject_alt_name, alt_names);
    BOOST_TEST_REQUIRE(X509_sign(certificate, issuer ? issuer->key.get() : issued.key.get(), EVP_sha256()) > 0);
    return issued;
}

// A temporary directory for PEM files, removed at the end of the test.
struct Directory {
    fs::path path;
    Directory() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() / ("sylk-tls-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~Directory() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }

    // Writes the certificate, and its key when with_key: a file as SylkServer keeps them.
    std::string write(const std::string &name, const Issued &issued, bool with_key) const {
        std::string file = (path / name).string();
        FILE *out = std::fopen(file.c_str(), "w");
        BOOST_TEST_REQUIRE(out != nullptr);
        PEM_write_X509(out, issued.certificate.get());
        if (with_key) PEM_write_PrivateKey(out, issued.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
        std::fclose(out);
        return file;
    }
};

// Collects log lines; written on the libre thread while the test thread waits for it.
struct LogLines {
    std::vector<std::string> lines;
    sylk_host_callbacks callbacks{this, [](void *context, sylk_log_level level, const char *message) {
                                      static_cast<LogLines *>(context)->lines.push_back(
                                          std::string(level == SYLK_LOG_WARNING ? "WARNING " : "INFO ") + message);
                                  }};
    sylk::log::Logger logger{&callbacks};

    bool contains(const std::string &text) const {
        for (const auto &line : lines)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }
    std::string all() const {
        std::string text;
        for (const auto &line : lines) text += line + "\n";
        return text;
    }
};

// Environment variables OpenSSL's default verify paths read, set for one test.
struct Environment {
    Environment(std::optional<std::string> cert_file, std::optional<std::string> cert_dir) {
        set("SSL_CERT_FILE", cert_file);
        set("SSL_CERT_DIR", cert_dir);
    }
    ~Environment() {
        ::unsetenv("SSL_CERT_FILE");
        ::unsetenv("SSL_CERT_DIR");
    }
    static void set(const char *name, const std::optional<std::string> &value) {
        if (value)
            ::setenv(name, value->c_str(), 1);
        else
            ::unsetenv(name);
    }
};


// One end of a libre TLS-over-TCP connection, made as libre's SIP transport makes them
// (tcp_connect or tcp_accept, then tls_start_tcp).
struct End {
    struct tcp_conn *tcp = nullptr;
    struct tls_conn *tls = nullptr;
    bool established = false;
    int closed = -1;  // the error it closed with

    ~End() { close(); }
    void close() {
        tls = static_cast<struct tls_conn *>(mem_deref(tls));
        tcp = static_cast<struct tcp_conn *>(mem_deref(tcp));
    }
    bool finished() const { return established || closed >= 0; }

    static void on_established(void *arg) {
        auto *end = static_cast<End *>(arg);
        end->established = true;
        if (end->stops_loop) re_cancel();
    }
    static void on_data(struct mbuf *, void *) {}
    static void on_close(int err, void *arg) {
        auto *end = static_cast<End *>(arg);
        end->closed = err;
        if (end->stops_loop) re_cancel();
    }
    bool stops_loop = false;
};

// A TLS listener on 127.0.0.1 serving `pem`; remembers the SNI each client sent.
class Listener {
public:
    explicit Listener(const std::string &pem) {
        BOOST_TEST_REQUIRE(tls_alloc(&tls_, TLS_METHOD_SSLV23, pem.c_str(), nullptr) == 0);
        SSL_CTX_set_tlsext_servername_callback(tls_openssl_context(tls_), servername_callback);
        SSL_CTX_set_tlsext_servername_arg(tls_openssl_context(tls_), this);
        struct sa local;
        sa_set_str(&local, "127.0.0.1", 0);
        BOOST_TEST_REQUIRE(tcp_listen(&socket_, &local, on_connection, this) == 0);
        BOOST_TEST_REQUIRE(tcp_sock_local_get(socket_, &address_) == 0);
    }
    ~Listener() {
        accepted_.clear();
        socket_ = static_cast<struct tcp_sock *>(mem_deref(socket_));
        tls_ = static_cast<struct tls *>(mem_deref(tls_));
    }
    Listener(const Listener &) = delete;
    Listener &operator=(const Listener &) = delete;

    SSL_CTX *context() const { return tls_openssl_context(tls_); }
    const struct sa &address() const { return address_; }
    std::vector<std::string> server_names;
    std::vector<std::string> peers_seen;  // libre_peer_address of the accepted SSLs

private:
    static void on_connection(const struct sa *, void *arg) {
        auto *self = static_cast<Listener *>(arg);
        auto end = std::make_unique<End>();
        if (tcp_accept(&end->tcp, self->socket_, End::on_established, End::on_data, End::on_close, end.get()) != 0 ||
            tls_start_tcp(&end->tls, self->tls_, end->tcp, 0) != 0) {
            tcp_reject(self->socket_);
            return;
        }
        self->accepted_.push_back(std::move(end));
    }
    static int servername_callback(SSL *ssl, int *, void *arg) {
        auto *self = static_cast<Listener *>(arg);
        const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        self->server_names.push_back(name ? name : "");
        self->peers_seen.push_back(sylk::sip::libre_peer_address(ssl).value_or("none"));
        return SSL_TLSEXT_ERR_OK;
    }

    struct tls *tls_ = nullptr;
    struct tcp_sock *socket_ = nullptr;
    struct sa address_ {};
    std::vector<std::unique_ptr<End>> accepted_;
};

// Connects with `client_tls` to `listener` and runs the loop until the TLS handshake is
// done or failed (or 5 s passed).
void connect(End &client, struct tls *client_tls, const Listener &listener) {
    client.stops_loop = true;
    BOOST_TEST_REQUIRE(tcp_connect(&client.tcp, &listener.address(), End::on_established, End::on_data, End::on_close,
                                   &client) == 0);
    BOOST_TEST_REQUIRE(tls_start_tcp(&client.tls, client_tls, client.tcp, 0) == 0);
    struct tmr timeout;
    tmr_init(&timeout);
    tmr_start(&timeout, 5000, [](void *) { re_cancel(); }, nullptr);
    re_main(nullptr);
    tmr_cancel(&timeout);
}

std::string text_of(const struct sa &address) {
    char text[64];
    re_snprintf(text, sizeof text, "%J", &address);
    return text;
}

// A test CA and a registrar certificate from it, on disk.
struct Pki {
    Directory directory;
    Issued ca = issue("Test CA", "", nullptr, true);
    Issued registrar = issue("registrar.test", "DNS:registrar.test,IP:127.0.0.1", &ca);
    std::string ca_file = directory.write("ca.pem", ca, false);
    std::string registrar_pem = directory.write("registrar.pem", registrar, true);
};

struct Attempt {
    bool established = false;
    int closed = -1;
    std::vector<std::string> server_names;
    std::string log;
};

// One connection from a libre TLS context set up with `settings` to a listener serving
// `server_pem`; `before` runs on the libre thread before connecting.
Attempt attempt(const RegistrarTlsSettings &settings, const std::string &server_pem,
                const std::function<void(SSL_CTX *, const struct sa &)> &before = nullptr) {
    Attempt result;
    LogLines log;
    on_libre_thread([&] {
        Listener listener(server_pem);
        struct tls *client_tls = nullptr;
        BOOST_TEST_REQUIRE(tls_alloc(&client_tls, TLS_METHOD_SSLV23, nullptr, nullptr) == 0);
        configure_registrar_tls(tls_openssl_context(client_tls), settings, log.logger);
        if (before) before(tls_openssl_context(client_tls), listener.address());
        {
            End client;
            connect(client, client_tls, listener);
            result.established = client.established;
            result.closed = client.closed;
        }
        result.server_names = listener.server_names;
        mem_deref(client_tls);
    });
    result.log = log.all();
    return result;
}

RegistrarTlsSettings with_ca(const std::string &ca_file, std::optional<std::string> server_name) {
    RegistrarTlsSettings settings;
    settings.ca_file = ca_file;
    settings.server_name = std::move(server_name);
    return settings;
}

X509 *first_system_ca() {
    static CertificatePtr ca{nullptr, X509_free};
    if (!ca) {
        FILE *bundle = std::fopen("/etc/ssl/certs/ca-certificates.crt", "r");
        BOOST_TEST_REQUIRE(bundle != nullptr, "Debian's ca-certificates is not installed");
        ca.reset(PEM_read_X509(bundle, nullptr, nullptr, nullptr));
        std::fclose(bundle);
    }
    BOOST_TEST_REQUIRE(ca.get() != nullptr);
    return ca.get();
}

bool store_knows(SSL_CTX *context, X509 *ca) {
    X509_STORE_CTX *lookup = X509_STORE_CTX_new();
    X509_STORE_CTX_init(lookup, SSL_CTX_get_cert_store(context), nullptr, nullptr);
    X509_OBJECT *found = X509_STORE_CTX_get_obj_by_subject(lookup, X509_LU_X509, X509_get_subject_name(ca));
    bool known = found && X509_cmp(X509_OBJECT_get0_X509(found), ca) == 0;
    X509_OBJECT_free(found);
    X509_STORE_CTX_free(lookup);
    return known;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_verification)

BOOST_AUTO_TEST_CASE(names_match_as_documented) {
    Issued ca = issue("CA", "", nullptr, true);
    Issued both = issue("ignored.test", "DNS:sip.example.com,DNS:*.example.org,IP:192.0.2.7,IP:2001:db8::1", &ca);
    X509 *certificate = both.certificate.get();
    BOOST_TEST(certificate_matches(certificate, "sip.example.com"));
    BOOST_TEST(certificate_matches(certificate, "SIP.Example.COM"));
    BOOST_TEST(!certificate_matches(certificate, "example.com"));
    BOOST_TEST(!certificate_matches(certificate, "ignored.test"));  // the CN is not read when there are DNS names
    BOOST_TEST(certificate_matches(certificate, "a.example.org"));  // a wildcard: one whole label
    BOOST_TEST(!certificate_matches(certificate, "a.b.example.org"));
    BOOST_TEST(!certificate_matches(certificate, "example.org"));
    BOOST_TEST(certificate_matches(certificate, "192.0.2.7"));
    BOOST_TEST(certificate_matches(certificate, "2001:db8::1"));
    BOOST_TEST(!certificate_matches(certificate, "192.0.2.8"));
    BOOST_TEST(!certificate_matches(certificate, ""));

    Issued partial = issue("x", "DNS:a*.example.net", &ca);
    BOOST_TEST(!certificate_matches(partial.certificate.get(), "ab.example.net"));  // no partial wildcards

    Issued only_cn = issue("legacy.example.com", "", &ca);
    BOOST_TEST(certificate_matches(only_cn.certificate.get(), "legacy.example.com"));  // no DNS names: the CN
    Issued name_as_ip = issue("x", "DNS:192.0.2.7", &ca);
    BOOST_TEST(!certificate_matches(name_as_ip.certificate.get(), "192.0.2.7"));  // an address needs an IP name
}

BOOST_AUTO_TEST_CASE(by_default_the_systems_trusted_cas_are_loaded_and_ca_list_replaces_them) {
    Environment environment(std::nullopt, std::nullopt);
    Pki pki;
    LogLines log;
    SSL_CTX *defaults = SSL_CTX_new(TLS_method());
    configure_registrar_tls(defaults, RegistrarTlsSettings{}, log.logger);
    BOOST_TEST(SSL_CTX_get_verify_mode(defaults) == SSL_VERIFY_PEER);
    BOOST_TEST(store_knows(defaults, first_system_ca()));  // a CA from /etc/ssl/certs
    BOOST_TEST(!store_knows(defaults, pki.ca.certificate.get()));
    BOOST_TEST(log.contains("INFO TLS: registrars' certificates must chain to the system's trusted CAs (OpenSSL default "
                            "paths: /usr/lib/ssl/cert.pem, /usr/lib/ssl/certs) and be valid for the SIP domain"),
               log.all());
    SSL_CTX_free(defaults);

    SSL_CTX *narrowed = SSL_CTX_new(TLS_method());
    configure_registrar_tls(narrowed, with_ca(pki.ca_file, "registrar.test"), log.logger);
    BOOST_TEST(SSL_CTX_get_verify_mode(narrowed) == SSL_VERIFY_PEER);
    BOOST_TEST(!store_knows(narrowed, first_system_ca()));
    BOOST_TEST(store_knows(narrowed, pki.ca.certificate.get()));
    BOOST_TEST(log.contains("chain to the CAs in " + pki.ca_file + " only and be valid for the outbound proxy's name, "
                            "registrar.test"),
               log.all());
    SSL_CTX_free(narrowed);
}

BOOST_AUTO_TEST_CASE(verification_off_is_a_warning_and_verifies_nothing) {
    LogLines log;
    SSL_CTX *context = SSL_CTX_new(TLS_method());
    RegistrarTlsSettings settings;
    settings.verify_server = false;
    configure_registrar_tls(context, settings, log.logger);
    BOOST_TEST(SSL_CTX_get_verify_mode(context) == SSL_VERIFY_NONE);
    BOOST_TEST(log.contains("WARNING TLS: registrars' certificates are NOT verified ([TLS] verify_server is off)"),
               log.all());
    SSL_CTX_free(context);
}

BOOST_AUTO_TEST_CASE(an_unreadable_ca_list_names_its_setting) {
    LogLines log;
    SSL_CTX *context = SSL_CTX_new(TLS_method());
    try {
        configure_registrar_tls(context, with_ca("/nonexistent/ca.pem", std::nullopt), log.logger);
        BOOST_FAIL("no error");
    } catch (const sylk::config::SettingError &error) {
        BOOST_TEST(error.setting() == "sip_tls_ca_file");
        BOOST_TEST(std::string(error.what()).find("cannot load '/nonexistent/ca.pem'") == 0, error.what());
    }
    SSL_CTX_free(context);
}

BOOST_AUTO_TEST_CASE(verify_server_is_on_unless_set_false) {
    auto defaults = sylk::config::parse_configuration("{}");
    BOOST_TEST_REQUIRE(defaults.configuration.has_value());
    BOOST_TEST(defaults.configuration->sip_tls_verify_server);
    auto off = sylk::config::parse_configuration(R"({"sip_tls_verify_server": false})");
    BOOST_TEST_REQUIRE(off.configuration.has_value());
    BOOST_TEST(!off.configuration->sip_tls_verify_server);
    auto bad = sylk::config::parse_configuration(R"({"sip_tls_verify_server": "no"})");
    BOOST_TEST(!bad.configuration.has_value());
    BOOST_TEST(bad.error.setting == "sip_tls_verify_server");
    BOOST_TEST(bad.error.reason == "must be true or false");
}

BOOST_AUTO_TEST_CASE(outbound_proxy_name_right_wrong_and_by_address) {
    Pki pki;
    Attempt right = attempt(with_ca(pki.ca_file, "registrar.test"), pki.registrar_pem);
    BOOST_TEST(right.established, right.log);
    BOOST_TEST(right.server_names == std::vector<std::string>{"registrar.test"});  // sent as SNI

    Attempt wrong = attempt(with_ca(pki.ca_file, "other.test"), pki.registrar_pem);
    BOOST_TEST(!wrong.established);
    BOOST_TEST(wrong.closed > 0);
    BOOST_TEST(wrong.log.find("refused the certificate of 127.0.0.1:") != std::string::npos, wrong.log);
    BOOST_TEST(wrong.log.find("(/CN=registrar.test): not valid for 'other.test' (hostname mismatch)") != std::string::npos,
               wrong.log);

    Attempt address = attempt(with_ca(pki.ca_file, "127.0.0.1"), pki.registrar_pem);
    BOOST_TEST(address.established, address.log);
    BOOST_TEST(address.server_names == std::vector<std::string>{""});  // no SNI for an IP address

    Attempt other_address = attempt(with_ca(pki.ca_file, "127.0.0.2"), pki.registrar_pem);
    BOOST_TEST(!other_address.established);
    BOOST_TEST(other_address.log.find("not valid for '127.0.0.2' (IP address mismatch)") != std::string::npos,
               other_address.log);
}

BOOST_AUTO_TEST_CASE(trust_comes_from_the_default_paths_or_ca_list_only) {
    Pki pki;
    Directory empty;
    {
        Environment system(std::nullopt, std::nullopt);
        Attempt untrusted = attempt(with_ca("", "registrar.test"), pki.registrar_pem);
        BOOST_TEST(!untrusted.established);
        BOOST_TEST(untrusted.log.find("unable to get local issuer certificate") != std::string::npos, untrusted.log);
    }
    {
        // The default paths are where trust comes from without ca_list: pointing them at the
        // test CA (as installing it into /etc/ssl/certs would) makes it trusted.
        Environment test_ca(pki.ca_file, empty.path.string());
        Attempt trusted = attempt(with_ca("", "registrar.test"), pki.registrar_pem);
        BOOST_TEST(trusted.established, trusted.log);
        BOOST_TEST(trusted.log.find("OpenSSL default paths: " + pki.ca_file + " (from $SSL_CERT_FILE)") != std::string::npos,
                   trusted.log);

        // ca_list replaces them: another CA there, and the default paths' CA no longer counts.
        Issued other = issue("Other CA", "", nullptr, true);
        std::string other_file = pki.directory.write("other.pem", other, false);
        Attempt narrowed = attempt(with_ca(other_file, "registrar.test"), pki.registrar_pem);
        BOOST_TEST(!narrowed.established);
        BOOST_TEST(narrowed.log.find("unable to get local issuer certificate") != std::string::npos, narrowed.log);
    }
    Issued self_signed = issue("registrar.test", "DNS:registrar.test", nullptr);
    std::string self_signed_pem = pki.directory.write("self.pem", self_signed, true);
    Environment system(std::nullopt, std::nullopt);
    Attempt refused = attempt(with_ca("", "registrar.test"), self_signed_pem);
    BOOST_TEST(!refused.established);
    BOOST_TEST(refused.log.find("self-signed certificate") != std::string::npos, refused.log);

    RegistrarTlsSettings off;
    off.verify_server = false;
    off.server_name = "registrar.test";
    BOOST_TEST(attempt(off, self_signed_pem).established);
}

BOOST_AUTO_TEST_CASE(every_certificate_in_ca_list_is_a_trust_anchor) {
    Pki pki;
    Issued intermediate = issue("Intermediate", "", &pki.ca, true);
    Issued leaf = issue("registrar.test", "DNS:registrar.test", &intermediate);
    std::string intermediate_file = pki.directory.write("intermediate.pem", intermediate, false);
    std::string leaf_pem = pki.directory.write("leaf.pem", leaf, true);
    Attempt attempted = attempt(with_ca(intermediate_file, "registrar.test"), leaf_pem);
    BOOST_TEST(attempted.established, attempted.log);
}

BOOST_AUTO_TEST_CASE(looked_up_routes_are_checked_against_the_domains_routed_to_the_address) {
    Pki pki;
    RegistrarTlsSettings routes = with_ca(pki.ca_file, std::nullopt);

    Attempt right = attempt(routes, pki.registrar_pem, [](SSL_CTX *context, const struct sa &address) {
        BOOST_TEST_REQUIRE(sylk::sip::note_registrar_route(context, address, "Registrar.Test") == 0);
    });
    BOOST_TEST(right.established, right.log);
    BOOST_TEST(right.server_names == std::vector<std::string>{"registrar.test"});  // the one domain, as SNI

    Attempt wrong = attempt(routes, pki.registrar_pem, [](SSL_CTX *context, const struct sa &address) {
        sylk::sip::note_registrar_route(context, address, "registrar.test");
        sylk::sip::note_registrar_route(context, address, "other.test");  // both would ride on this connection
    });
    BOOST_TEST(!wrong.established);
    BOOST_TEST(wrong.log.find("not valid for 'other.test'") != std::string::npos, wrong.log);

    Attempt elsewhere = attempt(routes, pki.registrar_pem, [](SSL_CTX *context, const struct sa &address) {
        struct sa another = address;
        sa_set_port(&another, static_cast<std::uint16_t>(sa_port(&address) + 1));
        sylk::sip::note_registrar_route(context, another, "registrar.test");  // another address
    });
    BOOST_TEST(!elsewhere.established);
    BOOST_TEST(elsewhere.log.find("no SIP domain was routed to this address") != std::string::npos, elsewhere.log);
}

BOOST_AUTO_TEST_CASE(a_request_for_another_domain_is_not_sent_over_a_connection_verified_for_one) {
    Pki pki;
    LogLines log;
    int other_while_open = 0, same_while_open = -1, other_after_close = -1;
    bool established = false;
    std::string peer_seen_by_listener, client_address;
    on_libre_thread([&] {
        Listener listener(pki.registrar_pem);
        struct tls *client_tls = nullptr;
        BOOST_TEST_REQUIRE(tls_alloc(&client_tls, TLS_METHOD_SSLV23, nullptr, nullptr) == 0);
        configure_registrar_tls(tls_openssl_context(client_tls), with_ca(pki.ca_file, std::nullopt), log.logger);
        SSL_CTX *context = tls_openssl_context(client_tls);
        sylk::sip::note_registrar_route(context, listener.address(), "registrar.test");
        {
            End client;
            connect(client, client_tls, listener);
            established = client.established;
            struct sa local;
            if (client.tcp && tcp_conn_local_get(client.tcp, &local) == 0) client_address = text_of(local);
            other_while_open = sylk::sip::note_registrar_route(context, listener.address(), "other.test");
            same_while_open = sylk::sip::note_registrar_route(context, listener.address(), "REGISTRAR.test");
        }  // closed: its SSL is freed, and with it the verified certificate
        other_after_close = sylk::sip::note_registrar_route(context, listener.address(), "other.test");
        if (!listener.peers_seen.empty()) peer_seen_by_listener = listener.peers_seen.front();
        mem_deref(client_tls);
    });
    BOOST_TEST(established, log.all());
    BOOST_TEST(other_while_open == EACCES);
    BOOST_TEST(log.contains("WARNING TLS: not sending to 127.0.0.1:"), log.all());
    BOOST_TEST(log.contains("for 'other.test': the open connection's certificate (/CN=registrar.test) is not valid"));
    BOOST_TEST(same_while_open == 0);
    BOOST_TEST(other_after_close == 0);  // recorded for the next connection, checked then
    // libre_peer_address reads the right socket: the listener sees the client's address.
    BOOST_TEST(!client_address.empty());
    BOOST_TEST(peer_seen_by_listener == client_address);
}

BOOST_AUTO_TEST_CASE(routes_are_ignored_with_a_proxy_or_without_verification) {
    Pki pki;
    LogLines log;
    SSL_CTX *context = SSL_CTX_new(TLS_method());
    configure_registrar_tls(context, with_ca(pki.ca_file, "registrar.test"), log.logger);
    struct sa address;
    sa_set_str(&address, "127.0.0.1", 5061);
    BOOST_TEST(sylk::sip::note_registrar_route(context, address, "anything.test") == 0);
    SSL_CTX_free(context);
    SSL_CTX *plain = SSL_CTX_new(TLS_method());  // not set up here
    BOOST_TEST(sylk::sip::note_registrar_route(plain, address, "anything.test") == 0);
    SSL_CTX_free(plain);
}

namespace {
std::atomic<int> certificate_requests{0};
int count_certificate_request(SSL *, X509 **, EVP_PKEY **) {
    ++certificate_requests;
    return 0;  // no client certificate
}
}  // namespace

BOOST_AUTO_TEST_CASE(incoming_connections_are_asked_for_no_client_certificate) {
    Pki pki;
    for (bool set_up : {true, false}) {
        certificate_requests = 0;
        LogLines log;
        bool established = false;
        on_libre_thread([&] {
            Listener listener(pki.registrar_pem);
            if (set_up)
                configure_registrar_tls(listener.context(), with_ca(pki.ca_file, std::nullopt), log.logger);
            else
                SSL_CTX_set_verify(listener.context(), SSL_VERIFY_PEER, nullptr);  // what the context alone would do
            struct tls *client_tls = nullptr;
            BOOST_TEST_REQUIRE(tls_alloc(&client_tls, TLS_METHOD_SSLV23, nullptr, nullptr) == 0);
            SSL_CTX_set_client_cert_cb(tls_openssl_context(client_tls), count_certificate_request);
            {
                End client;
                connect(client, client_tls, listener);
                established = client.established;
                // TLS 1.3: the server's request may come after the client is done; let it arrive.
                struct tmr wait;
                tmr_init(&wait);
                tmr_start(&wait, 200, [](void *) { re_cancel(); }, nullptr);
                re_main(nullptr);
                tmr_cancel(&wait);
            }
            mem_deref(client_tls);
        });
        BOOST_TEST_CONTEXT(std::string(set_up ? "set up" : "plain SSL_VERIFY_PEER")) {
            BOOST_TEST(established);
            BOOST_TEST(certificate_requests.load() == (set_up ? 0 : 1));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
