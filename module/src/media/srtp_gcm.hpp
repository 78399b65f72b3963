// SRTP for RTP packets with AEAD_AES_128_GCM (RFC 7714), the suite Chromium and Firefox
// agree to: the gateway's per-packet fast path, one object per direction of a session.
// Only where Aes128Gcm runs (AES-NI); the DTLS context offers the suite only then.
#pragma once

#include "media/aes128_gcm.hpp"
#include "media/srtp_rtp.hpp"

#include <cstddef>
#include <cstdint>

struct mbuf;

namespace sylk::media {

class SrtpGcm final : public SrtpRtp {
public:
    static constexpr std::size_t kMasterSize = 16 + 12;  // master key, then master salt
    static constexpr std::size_t kMaxStreams = SrtpStreams::kMaxStreams;
    static constexpr std::size_t kTagSize = Aes128Gcm::kTagSize;

    static bool available() { return Aes128Gcm::available(); }

    // The master key and salt, as tls_srtp_keyinfo gives them. Only when available().
    explicit SrtpGcm(const std::uint8_t master[kMasterSize]);

    // The RFC 7714 session key and salt themselves, not a master key to derive them from
    // (the RFC's known-answer vectors are given so).
    static SrtpGcm from_session_keys(const std::uint8_t key[Aes128Gcm::kKeySize],
                                     const std::uint8_t salt[Aes128Gcm::kIvSize]);

    bool protect(struct mbuf *packet) override;
    bool unprotect(struct mbuf *packet) override;

private:
    struct SessionKeys {};
    SrtpGcm(SessionKeys, const std::uint8_t key[Aes128Gcm::kKeySize], const std::uint8_t salt[Aes128Gcm::kIvSize]);

    void nonce(std::uint32_t ssrc, std::uint64_t index, std::uint8_t iv[Aes128Gcm::kIvSize]) const;

    Aes128Gcm cipher_;
    std::uint8_t session_salt_[Aes128Gcm::kIvSize];
};

}  // namespace sylk::media
