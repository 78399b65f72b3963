// What may go to libre's srtp_encrypt (SRTP to a browser with AES-CM, or with GCM on a CPU
// without AES-NI): per SSRC, only a packet newer than every one sent before. libre 1.1.0
// keeps no record of the indexes it sealed and counts its rollover counter its own way, so
// a repeated or late packet could be sealed at an index used already (with AES-CM the same
// keystream twice; with GCM the same nonce: security-review.md F12). Strictly newer
// packets are those whose index libre and RFC 3711 agree on. Late packets are dropped
// too: SrtpGcm, the fast path, keeps a window and lets them through once.
// Lives on the session's media worker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sylk::media {

class SendOrder {
public:
    // SSRCs followed; a packet of one more is refused (as SrtpGcm does).
    static constexpr std::size_t kMaxStreams = 64;

    // Whether the RTP packet (`size` bytes from `header`) is newer than every packet sent
    // for its SSRC; if so it is counted as sent.
    bool admit(const std::uint8_t *header, std::size_t size);

private:
    struct Stream {
        std::uint32_t ssrc;
        std::uint64_t highest;
    };
    std::vector<Stream> streams_;
};

}  // namespace sylk::media
