// Writes the dtls_records seeds: what an OpenSSL DTLS client (a self-signed EC
// certificate, use_srtp, as a browser offers it) sends, datagram by datagram, in a whole
// handshake with the module's own server context (DtlsCertificate::make_dtls_context),
// set up as libre's dtls_accept sets up its connection. Each seed is the client's
// datagrams in the target's format: a 2-byte big-endian length, then the datagram.
// Replayed by the target, the ClientHello gets a fresh server flight, and the client's
// second flight is read up to its CertificateVerify (signed over the recorded server
// random, so it fails there, as it must). Build target `dtls_records_seeds`; run it as
//   build-fuzz/fuzz/dtls_records_seeds fuzz/corpus/dtls_records
#include "../tls_openssl_context.hpp"
#include "media/dtls_certificate.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <re.h>  // after <cstdint>: libre's headers expect the fixed-width types

namespace {

using sylk::media::DtlsCertificate;
using Bytes = std::vector<std::uint8_t>;

// A BIO whose every write is one datagram, as libre's send BIO is (one UDP send each).
struct Outbox {
    std::vector<Bytes> datagrams;
    long mtu = 1400;
};

int outbox_write(BIO *bio, const char *data, int size) {
    auto *outbox = static_cast<Outbox *>(BIO_get_data(bio));
    const auto *bytes = reinterpret_cast<const std::uint8_t *>(data);
    outbox->datagrams.emplace_back(bytes, bytes + size);
    return size;
}

long outbox_ctrl(BIO *bio, int command, long, void *) {
    auto *outbox = static_cast<Outbox *>(BIO_get_data(bio));
    switch (command) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU: return outbox->mtu;
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: return 548;
    default: return 0;
    }
}

int outbox_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

BIO_METHOD *outbox_method() {
    static BIO_METHOD *method = [] {
        BIO_METHOD *made = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "seed outbox");
        BIO_meth_set_write(made, outbox_write);
        BIO_meth_set_ctrl(made, outbox_ctrl);
        BIO_meth_set_create(made, outbox_create);
        return made;
    }();
    return method;
}

struct Endpoint {
    SSL *ssl = nullptr;
    BIO *in = nullptr;
    Outbox outbox;

    Endpoint(SSL_CTX *context, bool server) : ssl(SSL_new(context)), in(BIO_new(BIO_s_mem())) {
        BIO *out = BIO_new(outbox_method());
        BIO_set_data(out, &outbox);
        SSL_set_bio(ssl, in, out);
        SSL_set_read_ahead(ssl, 1);  // as libre's conn_alloc
        if (server)
            SSL_set_accept_state(ssl);
        else
            SSL_set_connect_state(ssl);
    }
    ~Endpoint() { SSL_free(ssl); }
    Endpoint(const Endpoint &) = delete;
    Endpoint &operator=(const Endpoint &) = delete;

    void step() {
        ERR_clear_error();
        if (SSL_do_handshake(ssl) <= 0) ERR_clear_error();
    }
    void receive(const Bytes &datagram) {
        BIO_write(in, datagram.data(), static_cast<int>(datagram.size()));
        step();
    }
    std::vector<Bytes> take() {
        std::vector<Bytes> out;
        out.swap(outbox.datagrams);
        return out;
    }
};

struct Client {
    const char *file;
    const char *profiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";  // nullptr: no use_srtp
    bool certificate = true;
    int max_version = 0;  // 0: DTLS 1.2
    long mtu = 0;         // 0: the BIO's 1400
    bool repeat_hello = false;
};

bool write_seed(const std::string &path, const std::vector<Bytes> &datagrams) {
    std::FILE *out = std::fopen(path.c_str(), "wb");
    if (!out) return false;
    bool ok = true;
    for (const auto &datagram : datagrams) {
        std::uint8_t length[2] = {static_cast<std::uint8_t>(datagram.size() >> 8),
                                  static_cast<std::uint8_t>(datagram.size())};
        ok = ok && std::fwrite(length, 1, 2, out) == 2 &&
             std::fwrite(datagram.data(), 1, datagram.size(), out) == datagram.size();
    }
    return std::fclose(out) == 0 && ok;
}

bool run(const std::string &directory, struct tls *server_context, const DtlsCertificate &client_identity,
         const Client &client) {
    SSL_CTX *context = SSL_CTX_new(DTLS_client_method());
    if (!context) return false;
    bool ok = true;
    if (client.certificate) {
        const auto &certificate = client_identity.certificate_der();
        const auto &key = client_identity.private_key_der();
        ok = SSL_CTX_use_certificate_ASN1(context, static_cast<int>(certificate.size()), certificate.data()) == 1 &&
             SSL_CTX_use_PrivateKey_ASN1(EVP_PKEY_EC, context, key.data(), static_cast<long>(key.size())) == 1;
    }
    if (client.profiles) ok = ok && SSL_CTX_set_tlsext_use_srtp(context, client.profiles) == 0;
    if (client.max_version) ok = ok && SSL_CTX_set_max_proto_version(context, client.max_version) == 1;
    if (!ok) {
        SSL_CTX_free(context);
        return false;
    }

    std::vector<Bytes> sent;
    bool done = false;
    {
        Endpoint browser(context, false);
        Endpoint gateway(tls_openssl_context(server_context), true);
        if (client.mtu) {
            SSL_set_options(browser.ssl, SSL_OP_NO_QUERY_MTU);
            SSL_set_mtu(browser.ssl, client.mtu);
        }
        browser.step();
        for (int round = 0; round < 8 && !done; ++round) {
            auto flight = browser.take();
            if (client.repeat_hello && round == 0 && !flight.empty()) flight.push_back(flight.front());
            for (const auto &datagram : flight) {
                sent.push_back(datagram);
                gateway.receive(datagram);
            }
            for (const auto &datagram : gateway.take()) browser.receive(datagram);
            done = SSL_is_init_finished(browser.ssl) && SSL_is_init_finished(gateway.ssl);
        }
        for (const auto &datagram : browser.take()) sent.push_back(datagram);
        const SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(gateway.ssl);
        std::printf("%-28s %zu datagrams, handshake %s, SRTP %s\n", client.file, sent.size(),
                    done ? "complete" : "INCOMPLETE", profile ? profile->name : "none");
    }
    SSL_CTX_free(context);
    return write_seed(directory + "/" + client.file, sent);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIRECTORY\n", argv[0]);
        return 2;
    }
    if (libre_init() != 0) return 1;
    std::string directory = argv[1];
    auto server_identity = DtlsCertificate::generate();
    auto client_identity = DtlsCertificate::generate();
    struct tls *server_context = nullptr;
    if (server_identity.make_dtls_context(&server_context) != 0) return 1;

    Client browser{"browser-gcm-and-cm.dtls"};
    Client aiortc{"aes-cm-only.dtls"};
    aiortc.profiles = "SRTP_AES128_CM_SHA1_80";
    Client anonymous{"no-client-certificate.dtls"};
    anonymous.certificate = false;
    Client plain{"no-use-srtp.dtls"};
    plain.profiles = nullptr;
    Client old{"dtls-1.0.dtls"};
    old.max_version = DTLS1_VERSION;
    Client fragmented{"fragmented-mtu-300.dtls"};
    fragmented.mtu = 300;
    Client again{"client-hello-twice.dtls"};
    again.repeat_hello = true;
    Client unknown_profile{"only-unoffered-profile.dtls"};
    unknown_profile.profiles = "SRTP_AES128_CM_SHA1_32";

    bool ok = true;
    for (const Client *client : {&browser, &aiortc, &anonymous, &plain, &old, &fragmented, &again, &unknown_profile})
        ok = run(directory, server_context, client_identity, *client) && ok;
    mem_deref(server_context);
    libre_close();
    return ok ? 0 : 1;
}
