// The gateway's DTLS identity: one EC P-256 self-signed certificate per process,
// generated with OpenSSL (libre 1.1.0's tls_set_selfsigned makes an RSA-1024/SHA-1
// certificate that OpenSSL 3 refuses, and libre has no EC generator). Immutable once
// made, so every media worker may read it; each worker loads it into a libre DTLS
// context of its own (libre objects stay on one thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct tls;

namespace sylk::media {

class DtlsCertificate {
public:
    // Throws std::runtime_error when OpenSSL cannot make one.
    static DtlsCertificate generate();

    // The private key's bytes are wiped when it goes (OPENSSL_cleanse).
    DtlsCertificate(DtlsCertificate &&) = default;
    DtlsCertificate &operator=(DtlsCertificate &&) = default;
    DtlsCertificate(const DtlsCertificate &) = delete;
    DtlsCertificate &operator=(const DtlsCertificate &) = delete;
    ~DtlsCertificate();

    const std::vector<std::uint8_t> &certificate_der() const { return certificate_; }
    const std::vector<std::uint8_t> &private_key_der() const { return private_key_; }
    // sha-256 of the DER certificate, "AB:CD:...", as a=fingerprint:sha-256 wants it.
    const std::string &fingerprint() const { return fingerprint_; }

    // On a libre thread: a DTLS server context holding this certificate, asking for the
    // peer's certificate (so that its fingerprint can be checked) and offering the SRTP
    // profiles our SRTP code runs (AES-GCM first where the CPU has AES-NI; aiortc has
    // only AES_CM_128_HMAC_SHA1_80).
    // Returns 0 or an errno value; *tlsp is released with mem_deref.
    int make_dtls_context(struct tls **tlsp) const;

private:
    DtlsCertificate() = default;

    std::vector<std::uint8_t> certificate_;
    std::vector<std::uint8_t> private_key_;
    std::string fingerprint_;
};

// "AB:CD:..." from raw digest bytes.
std::string format_fingerprint(const std::uint8_t *digest, std::size_t size);

// Fingerprints compared as SDP writes them: hex digits in either case.
bool same_fingerprint(const std::string &a, const std::string &b);

}  // namespace sylk::media
