#include "media/dtls_certificate.hpp"

#include "media/re_ptr.hpp"
#include "media/srtp_gcm.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <cctype>
#include <memory>
#include <stdexcept>

#include <re.h>

namespace sylk::media {

namespace {

template <typename T, void (*Free)(T *)>
struct OpenSslFree {
    void operator()(T *object) const { Free(object); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY, EVP_PKEY_free>>;
using CertificatePtr = std::unique_ptr<X509, OpenSslFree<X509, X509_free>>;

[[noreturn]] void fail(const std::string &what) {
    throw std::runtime_error("cannot make the DTLS certificate: " + what);
}

template <typename T, int (*Encode)(T *, unsigned char **)>
std::vector<std::uint8_t> der(T *object, const char *what) {
    unsigned char *bytes = nullptr;
    int length = Encode(object, &bytes);
    if (length <= 0) fail(std::string("cannot encode the ") + what);
    std::vector<std::uint8_t> out(bytes, bytes + length);
    OPENSSL_free(bytes);
    return out;
}

int encode_certificate(X509 *certificate, unsigned char **out) { return i2d_X509(certificate, out); }
int encode_key(EVP_PKEY *key, unsigned char **out) { return i2d_PrivateKey(key, out); }

}  // namespace

std::string format_fingerprint(const std::uint8_t *digest, std::size_t size) {
    static const char hex[] = "0123456789ABCDEF";
    std::string text;
    for (std::size_t i = 0; i < size; ++i) {
        if (i) text += ':';
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 0x0f];
    }
    return text;
}

bool same_fingerprint(const std::string &a, const std::string &b) {
    if (a.size() != b.size() || a.empty()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

DtlsCertificate DtlsCertificate::generate() {
    KeyPtr key(EVP_EC_gen("P-256"));
    if (!key) fail("no P-256 key");
    CertificatePtr certificate(X509_new());
    if (!certificate) fail("no X509");
    // RFC 8827: a self-signed certificate whose fingerprint the SDP carries; short-lived
    // names and dates are enough, the serial random so that two runs never look alike.
    unsigned char serial[8];
    if (RAND_bytes(serial, sizeof serial) != 1) fail("no random serial");
    serial[0] &= 0x7f;
    std::uint64_t serial_number = 0;
    for (unsigned char byte : serial) serial_number = serial_number << 8 | byte;
    if (X509_set_version(certificate.get(), 2) != 1 ||
        ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate.get()), serial_number) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -86400) ||
        !X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 30L * 86400))
        fail("cannot set serial or validity");
    X509_NAME *name = X509_get_subject_name(certificate.get());
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char *>("sylk-webrtcgateway"), -1, -1, 0) != 1 ||
        X509_set_issuer_name(certificate.get(), name) != 1 || X509_set_pubkey(certificate.get(), key.get()) != 1)
        fail("cannot set names or key");
    if (X509_sign(certificate.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign");

    DtlsCertificate made;
    made.certificate_ = der<X509, encode_certificate>(certificate.get(), "certificate");
    made.private_key_ = der<EVP_PKEY, encode_key>(key.get(), "private key");
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate.get(), EVP_sha256(), digest, &length) != 1) fail("cannot hash");
    made.fingerprint_ = format_fingerprint(digest, length);
    return made;
}

DtlsCertificate::~DtlsCertificate() {
    if (!private_key_.empty()) OPENSSL_cleanse(private_key_.data(), private_key_.size());
}

int DtlsCertificate::make_dtls_context(struct tls **tlsp) const {
    struct tls *context = nullptr;
    int err = tls_alloc(&context, TLS_METHOD_DTLS, nullptr, nullptr);
    if (err) return err;
    RePtr<struct tls> owned(context);
    err = tls_set_certificate_der(context, TLS_KEYTYPE_EC, certificate_.data(), certificate_.size(),
                                  private_key_.data(), private_key_.size());
    if (err) return err;
    tls_set_verify_client(context);
    // AES-GCM only where our fast path runs it: RTP is never left to libre's srtp.
    err = tls_set_srtp(context, SrtpGcm::available() ? "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
                                                     : "SRTP_AES128_CM_SHA1_80");
    if (err) return err;
    *tlsp = owned.release();
    return 0;
}

}  // namespace sylk::media
