// Which source a phone's RTP (or RTCP) socket takes datagrams from (security-review.md
// F5: anyone could otherwise inject media into a call, keep it alive, and move the
// browser leg's SRTP state). Symmetric RTP with learning, as rtpengine's "heuristic"
// endpoint learning does it:
// - nothing is taken before the phone's SDP gives where it receives (`expect`);
// - then, while learning (the first kLearningPackets datagrams, or kLearningMs from the
//   first), the best source so far is the peer: the SDP's address and port exactly
//   (latched at once, for good), else the SDP's address with another port, else the first
//   source at all (a phone behind NAT whose SDP shows its private address: comedia).
//   A source no better than the peer's is a stranger;
// - after that, only the peer is taken; everything else is a stranger;
// - only a new SDP with another address or port learns again.
// The peer is also where the socket sends (a NATed phone receives where it sends from).
// A stranger that speaks first, from an address and port the SDP does not name, can win
// the learning: ports are random (RtpPortAllocator) and learning is short, as elsewhere.
#pragma once

#include <cstdint>
#include <optional>

#include <re.h>

namespace sylk::media {

class SourceLatch {
public:
    static constexpr unsigned kLearningPackets = 5;
    static constexpr std::uint64_t kLearningMs = 3000;

    // Where the phone's SDP says it receives; learning starts again when that changes.
    // `send_there`: false when that address may not be sent to (media waits for the
    // phone's own packets to learn where to go).
    void expect(const struct sa &advertised, bool send_there = true);
    // No phone (port 0, or none yet): nothing is taken, nothing sent.
    void clear();

    // Whether a datagram from `source` at `now_ms` is the phone's (and learns from it).
    bool take(const struct sa &source, std::uint64_t now_ms);
    // True while take() needs the time (callers skip the clock otherwise).
    bool learning() const { return advertised_ && !locked_; }

    // Where to send: the peer once there is one, else the SDP's address (when allowed).
    const struct sa *destination() const;
    bool expecting() const { return advertised_.has_value(); }
    bool latched() const { return peer_.has_value(); }

private:
    int score(const struct sa &source) const;

    std::optional<struct sa> advertised_;
    std::optional<struct sa> peer_;
    bool send_to_advertised_ = true;
    int peer_score_ = 0;
    bool locked_ = false;
    unsigned learned_packets_ = 0;
    std::uint64_t learning_since_ms_ = 0;
};

}  // namespace sylk::media
