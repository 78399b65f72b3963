// What a browser's SRTCP must pass before, and after, libre's srtcp_decrypt. libre 1.1.0
// authenticates nothing in an AEAD_AES_128_GCM packet whose E bit is clear (it neither
// decrypts nor checks a tag: security-review.md F6) and keeps no SRTCP replay list for
// any suite (fixed upstream after 1.1.0, in no release). So, in front of it:
// - a packet shorter than header (8) + tag + E|index (4) is refused;
// - with GCM, E clear is refused: browsers always encrypt SRTCP, and libre would take
//   such a packet unauthenticated;
// - per sender SSRC, a 64-entry window on the 31-bit SRTCP index refuses replays and
//   what is older than the window, for every suite; it moves only once libre has
//   authenticated the packet, so a forgery cannot push it on.
// The SSRC and the index are inside what the tag covers, so the window trusts them only
// after libre has checked it.
// The guard has a libre context of its own for SRTCP: libre makes a stream for a new SSRC
// before it checks the tag and keeps at most 8, for good, so forged packets from made-up
// SSRCs would use them up and leave a new genuine sender refused. When libre refuses a
// packet from an SSRC the guard does not know, that context is made again (libre keeps
// nothing for SRTCP that the guard needs: the index comes with each packet).
// Lives on the session's media worker thread.
#pragma once

#include "media/re_ptr.hpp"
#include "media/replay_window.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

#include <re.h>

namespace sylk::media {

class SrtcpGuard {
public:
    // Senders (SSRCs) tracked; SRTCP from one more is refused. libre 1.1.0 keeps no more
    // streams per context (SRTP_MAX_STREAMS), and a browser sends from a handful.
    static constexpr std::size_t kMaxStreams = 8;

    enum class Verdict {
        opened,            // authenticated, decrypted, new: pos at the RTCP header
        too_short,         // cannot hold a header, a tag and an index
        not_encrypted,     // GCM with the E bit clear
        replayed,          // this SSRC's index was taken already
        too_old,           // behind this SSRC's window
        too_many_streams,  // a new SSRC with kMaxStreams known
        refused,           // libre's check failed (tag, or a packet it cannot read)
    };

    // The suite both ends agreed (the tag's size and place follow from it).
    explicit SrtcpGuard(enum srtp_suite suite);
    ~SrtcpGuard();
    SrtcpGuard(const SrtcpGuard &) = delete;
    SrtcpGuard &operator=(const SrtcpGuard &) = delete;

    // The sender's master key and salt (what tls_srtp_keyinfo gives). 0 or an errno value.
    int set_key(const std::uint8_t *master, std::size_t size);

    // Checks `packet`, has libre authenticate and decrypt it in place, and records its
    // index. Anything but opened leaves the window as it was. Only after set_key().
    Verdict open(struct mbuf *packet);

private:
    struct Stream {
        std::uint32_t ssrc;
        ReplayWindow window;
    };

    Stream *find(std::uint32_t ssrc);
    int make_context();

    enum srtp_suite suite_;
    std::vector<std::uint8_t> master_;  // to make the context again
    RePtr<struct srtp> libre_;
    bool aead_;
    std::size_t trailer_;  // bytes after the encrypted part: tag and E|index
    std::size_t index_from_end_;  // where E|index starts, counted back from the end
    std::vector<Stream> streams_;
};

}  // namespace sylk::media
