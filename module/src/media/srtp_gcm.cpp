#include "media/srtp_gcm.hpp"

#include "media/rtp_index.hpp"

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

std::uint32_t read32(const std::uint8_t *p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

// The RTP header's length (fixed part, CSRCs, extension), or 0 when what is there is
// not a version-2 RTP header.
std::size_t header_size(const std::uint8_t *packet, std::size_t size) {
    if (size < 12 || (packet[0] >> 6) != 2) return 0;
    std::size_t length = 12 + 4 * std::size_t(packet[0] & 0x0f);
    if (packet[0] & 0x10) {
        if (size < length + 4) return 0;
        length += 4 + 4 * (std::size_t(packet[length + 2]) << 8 | packet[length + 3]);
    }
    return length <= size ? length : 0;
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

std::int64_t SrtpGcm::locate(const std::uint8_t *header, Stream *&stream) {
    std::uint32_t ssrc = read32(header + 8);
    auto sequence = static_cast<std::uint16_t>(header[2] << 8 | header[3]);
    stream = nullptr;
    for (auto &known : streams_) {
        if (known.ssrc == ssrc) {
            stream = &known;
            break;
        }
    }
    if (stream) return estimate_index(stream->window.highest(), sequence);
    return streams_.size() < kMaxStreams ? sequence : -1;  // a new stream starts at rollover 0
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
    std::size_t header = header_size(mbuf_buf(packet), size);
    if (header == 0) return false;
    std::uint32_t ssrc = read32(mbuf_buf(packet) + 8);
    Stream *stream = nullptr;
    std::int64_t index = locate(mbuf_buf(packet), stream);
    if (index < 0) return false;
    auto unsigned_index = static_cast<std::uint64_t>(index);
    // A phone that starts its sequence again under the same SSRC lands here until it
    // passes its old highest number: those packets are dropped, never sealed again.
    if (stream && !stream->window.fresh(unsigned_index)) {
        ++refused_used_index_;
        return false;
    }
    if (packet->size < packet->end + Aes128Gcm::kTagSize &&
        mbuf_resize(packet, packet->end + Aes128Gcm::kTagSize) != 0)
        return false;

    std::uint8_t iv[Aes128Gcm::kIvSize];
    nonce(ssrc, unsigned_index, iv);
    std::uint8_t *start = mbuf_buf(packet);
    cipher_.seal(iv, start, header, start + header, size - header, start + size);
    packet->end += Aes128Gcm::kTagSize;

    if (!stream)
        streams_.push_back({ssrc, ReplayWindow(unsigned_index)});
    else
        stream->window.mark(unsigned_index);
    return true;
}

bool SrtpGcm::unprotect(struct mbuf *packet) {
    std::size_t size = mbuf_get_left(packet);
    if (size < 12 + Aes128Gcm::kTagSize) return false;
    std::size_t plain_size = size - Aes128Gcm::kTagSize;
    std::size_t header = header_size(mbuf_buf(packet), plain_size);
    if (header == 0) return false;
    std::uint8_t *start = mbuf_buf(packet);
    std::uint32_t ssrc = read32(start + 8);
    Stream *stream = nullptr;
    std::int64_t index = locate(start, stream);
    if (index < 0) return false;
    auto unsigned_index = static_cast<std::uint64_t>(index);
    if (stream && !stream->window.fresh(unsigned_index)) return false;  // a replay, or too old

    std::uint8_t iv[Aes128Gcm::kIvSize];
    nonce(ssrc, unsigned_index, iv);
    if (!cipher_.open(iv, start, header, start + header, plain_size - header, start + plain_size)) return false;
    packet->end -= Aes128Gcm::kTagSize;

    if (!stream)
        streams_.push_back({ssrc, ReplayWindow(unsigned_index)});
    else
        stream->window.mark(unsigned_index);
    return true;
}

}  // namespace sylk::media
