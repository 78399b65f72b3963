// SRTP for RTP packets with AES_CM_128_HMAC_SHA1_80 (RFC 3711), the suite of peers without
// AES-GCM (aiortc, and the gateway itself on a CPU without AES-NI, where it offers no
// other), one object per direction of a session. Ours rather than libre's srtp, whose
// receiver moves a stream's rollover state before the tag check (docs/media.md). AES in
// counter mode and SHA-1 from OpenSSL, keyed once per direction.
#pragma once

#include "media/srtp_rtp.hpp"

#include <cstddef>
#include <cstdint>

struct mbuf;
struct evp_cipher_ctx_st;
struct evp_md_ctx_st;

namespace sylk::media {

class SrtpAesCm final : public SrtpRtp {
public:
    static constexpr std::size_t kMasterSize = 16 + 14;  // master key, then master salt
    static constexpr std::size_t kTagSize = 10;          // HMAC-SHA1 cut to 80 bits

    // The master key and salt, as tls_srtp_keyinfo gives them. Throws std::runtime_error
    // when OpenSSL cannot set the keys up.
    explicit SrtpAesCm(const std::uint8_t master[kMasterSize]);
    ~SrtpAesCm() override;
    SrtpAesCm(const SrtpAesCm &) = delete;
    SrtpAesCm &operator=(const SrtpAesCm &) = delete;

    bool protect(struct mbuf *packet) override;
    bool unprotect(struct mbuf *packet) override;

private:
    void release();
    // RFC 3711 4.1.1: the counter block of a packet's keystream.
    void counter(std::uint32_t ssrc, std::uint64_t index, std::uint8_t iv[16]) const;
    bool apply_keystream(const std::uint8_t iv[16], std::uint8_t *data, std::size_t size);
    // RFC 3711 4.2: HMAC-SHA1 over the header and encrypted payload, then the rollover
    // counter; the first kTagSize bytes.
    bool tag(const std::uint8_t *data, std::size_t size, std::uint32_t rollover, std::uint8_t out[kTagSize]);

    std::uint8_t session_salt_[14];
    evp_cipher_ctx_st *cipher_ = nullptr;  // AES-128-CTR under the session key
    evp_md_ctx_st *inner_ = nullptr;       // SHA-1 having read the session auth key XOR ipad
    evp_md_ctx_st *outer_ = nullptr;       // ... XOR opad
    evp_md_ctx_st *work_ = nullptr;        // a copy of one of them, per packet
};

}  // namespace sylk::media
