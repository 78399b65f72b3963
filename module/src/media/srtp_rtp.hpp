// One direction of SRTP for a session's RTP packets, whichever suite DTLS agreed
// (SrtpGcm for AEAD_AES_128_GCM, SrtpAesCm for AES_CM_128_HMAC_SHA1_80). Both keep
// SrtpStreams, and a packet that fails changes neither its bytes nor the stream's state.
// SRTCP stays with libre's srtp behind SrtcpGuard (a few packets a second).
#pragma once

#include "media/srtp_streams.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

struct mbuf;

namespace sylk::media {

class SrtpRtp {
public:
    virtual ~SrtpRtp() = default;

    // Encrypts the RTP packet at pos..end in place and appends the tag. Returns false
    // (nothing changed) for what is not an RTP packet, a stream too many, or an index
    // sealed already or behind the stream's window (late packets inside it go): the same
    // index is the same keystream, and for GCM the same nonce (security-review.md F12).
    virtual bool protect(struct mbuf *packet) = 0;
    // Checks the tag first, then decrypts in place, leaving pos at the RTP header and end
    // before the tag. Returns false (nothing changed) for a forged, damaged, replayed or
    // too old packet.
    virtual bool unprotect(struct mbuf *packet) = 0;

    // protect() refusals of an index used already (counted for the drop report).
    std::uint64_t refused_used_index() const { return refused_used_index_; }

protected:
    SrtpRtp() = default;
    SrtpRtp(const SrtpRtp &) = default;
    SrtpRtp &operator=(const SrtpRtp &) = default;

    // A packet to seal or open: its RTP header's length, and its place in its stream.
    struct Located {
        std::size_t header;
        SrtpStreams::Place place;
    };
    // protect()'s checks: an RTP packet at a fresh index (a used one is counted), with room
    // made after it for a tag of `tag_size`. Nothing when it may not be sealed.
    std::optional<Located> to_seal(struct mbuf *packet, std::size_t tag_size);
    // unprotect()'s checks: an RTP packet followed by a tag of `tag_size`, at a fresh index.
    std::optional<Located> to_open(const struct mbuf *packet, std::size_t tag_size) const;

    SrtpStreams streams_;
    std::uint64_t refused_used_index_ = 0;
};

}  // namespace sylk::media
