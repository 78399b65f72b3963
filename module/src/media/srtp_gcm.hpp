// SRTP for RTP packets with AEAD_AES_128_GCM (RFC 7714), the suite Chromium and Firefox
// agree to: the gateway's per-packet fast path, one object per direction of a session.
// SRTCP and the other suites stay with libre's srtp (RTCP is a few packets a second).
// It keeps what RFC 3711 asks of a context, per SSRC: the rollover counter, the highest
// sequence number and a 64-packet window of the indexes used. The receiving side refuses
// replays with it; the sending side refuses to seal an index twice (the same index is the
// same GCM nonce, and a nonce sealed twice gives away the hash key, so anyone who saw both
// packets could forge packets to the browser: security-review.md F12), as libsrtp does
// with allow_repeat_tx off. A packet that fails changes nothing (neither its bytes nor the
// stream's state).
#pragma once

#include "media/aes128_gcm.hpp"
#include "media/replay_window.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

struct mbuf;

namespace sylk::media {

class SrtpGcm {
public:
    static constexpr std::size_t kMasterSize = 16 + 12;  // master key, then master salt
    // Streams (SSRCs) one direction keeps; a packet of one more is refused.
    static constexpr std::size_t kMaxStreams = 64;

    static bool available() { return Aes128Gcm::available(); }

    // The master key and salt, as tls_srtp_keyinfo gives them. Only when available().
    explicit SrtpGcm(const std::uint8_t master[kMasterSize]);

    // The RFC 7714 session key and salt themselves, not a master key to derive them from
    // (the RFC's known-answer vectors are given so).
    static SrtpGcm from_session_keys(const std::uint8_t key[Aes128Gcm::kKeySize],
                                     const std::uint8_t salt[Aes128Gcm::kIvSize]);

    // Encrypts the RTP packet at pos..end in place and appends the 16-byte tag. Returns
    // false (nothing changed) for what is not an RTP packet, a stream too many, or an
    // index sealed already or behind the stream's window (late packets inside it go).
    bool protect(struct mbuf *packet);
    // Checks and decrypts in place, leaving pos at the RTP header and end before the tag.
    // Returns false (nothing changed) for a forged, damaged, replayed or too old packet.
    bool unprotect(struct mbuf *packet);

    // protect() refusals of an index that would reuse a nonce (counted for the drop report).
    std::uint64_t refused_used_index() const { return refused_used_index_; }

private:
    struct SessionKeys {};
    SrtpGcm(SessionKeys, const std::uint8_t key[Aes128Gcm::kKeySize], const std::uint8_t salt[Aes128Gcm::kIvSize]);

    struct Stream {
        std::uint32_t ssrc;
        ReplayWindow window;  // packet indexes: rollover counter << 16 | sequence number
    };

    // The packet index of the RTP header's sequence number in its SSRC's stream (null
    // when the SSRC is new); -1 when the packet cannot be placed (before the stream's
    // first rollover, or a new SSRC with no room left).
    std::int64_t locate(const std::uint8_t *header, Stream *&stream);
    void nonce(std::uint32_t ssrc, std::uint64_t index, std::uint8_t iv[Aes128Gcm::kIvSize]) const;

    Aes128Gcm cipher_;
    std::uint8_t session_salt_[Aes128Gcm::kIvSize];
    std::vector<Stream> streams_;
    std::uint64_t refused_used_index_ = 0;
};

}  // namespace sylk::media
