#include "media/srtp_gcm.hpp"

#include <array>
#include <cstring>

#include <re.h>

namespace sylk::media {

namespace {

constexpr std::size_t kMasterKeySize = Aes128Gcm::kKeySize;
constexpr std::size_t kSaltSize = Aes128Gcm::kIvSize;  // RFC 7714: a 96-bit salt
constexpr std::uint8_t kLabelRtpKey = 0x00;
constexpr std::uint8_t kLabelRtpSalt = 0x02;

// RFC 3711 4.3: the AES-CM PRF under the master key, at x = (label << 48) XOR salt, with
// the key derivation rate 0 (no rekeying). Its first block gives a 16-byte key and, cut
// to 12 bytes, the salt.
std::array<std::uint8_t, 16> derive(const std::uint8_t master[SrtpGcm::kMasterSize], std::uint8_t label) {
    Aes128Gcm prf(master);
    std::uint8_t block[16] = {};
    std::memcpy(block, master + kMasterKeySize, kSaltSize);  // the salt, zero-padded to 14 bytes
    block[7] ^= label;                                       // the label sits 7 bytes from the right of x
    std::array<std::uint8_t, 16> out{};
    prf.encrypt_block(block, out.data());
    return out;
}

}  // namespace

SrtpGcm::SrtpGcm(const std::uint8_t master[kMasterSize]) : cipher_(derive(master, kLabelRtpKey).data()) {
    std::memcpy(session_salt_, derive(master, kLabelRtpSalt).data(), sizeof session_salt_);
}

SrtpGcm::SrtpGcm(SessionKeys, const std::uint8_t key[Aes128Gcm::kKeySize], const std::uint8_t salt[Aes128Gcm::kIvSize])
    : cipher_(key) {
    std::memcpy(session_salt_, salt, sizeof session_salt_);
}

SrtpGcm SrtpGcm::from_session_keys(const std::uint8_t key[Aes128Gcm::kKeySize],
                                   const std::uint8_t salt[Aes128Gcm::kIvSize]) {
    return SrtpGcm(SessionKeys{}, key, salt);
}

// RFC 7714 8.1: 00 00 || SSRC || ROC || SEQ, XOR the session salt.
void SrtpGcm::nonce(std::uint32_t ssrc, std::uint64_t index, std::uint8_t iv[Aes128Gcm::kIvSize]) const {
    std::uint32_t rollover = static_cast<std::uint32_t>(index >> 16);
    const std::uint8_t fields[Aes128Gcm::kIvSize] = {
        0, 0,
        std::uint8_t(ssrc >> 24), std::uint8_t(ssrc >> 16), std::uint8_t(ssrc >> 8), std::uint8_t(ssrc),
        std::uint8_t(rollover >> 24), std::uint8_t(rollover >> 16), std::uint8_t(rollover >> 8), std::uint8_t(rollover),
        std::uint8_t(index >> 8), std::uint8_t(index)};
    for (std::size_t i = 0; i < Aes128Gcm::kIvSize; ++i) iv[i] = fields[i] ^ session_salt_[i];
}

bool SrtpGcm::protect(struct mbuf *packet) {
    std::size_t size = mbuf_get_left(packet);
    auto located = to_seal(packet, kTagSize);
    if (!located) return false;
    std::uint8_t iv[Aes128Gcm::kIvSize];
    nonce(located->place.ssrc, located->place.index, iv);
    std::uint8_t *start = mbuf_buf(packet);
    cipher_.seal(iv, start, located->header, start + located->header, size - located->header, start + size);
    packet->end += kTagSize;
    streams_.commit(located->place);
    return true;
}

bool SrtpGcm::unprotect(struct mbuf *packet) {
    auto located = to_open(packet, kTagSize);
    if (!located) return false;
    std::size_t plain_size = mbuf_get_left(packet) - kTagSize;
    std::uint8_t iv[Aes128Gcm::kIvSize];
    nonce(located->place.ssrc, located->place.index, iv);
    std::uint8_t *start = mbuf_buf(packet);
    if (!cipher_.open(iv, start, located->header, start + located->header, plain_size - located->header,
                      start + plain_size))
        return false;
    packet->end -= kTagSize;
    streams_.commit(located->place);
    return true;
}

}  // namespace sylk::media
