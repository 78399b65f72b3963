#include "media/source_latch.hpp"

namespace sylk::media {

namespace {

constexpr int kExact = 3;        // the SDP's address and port
constexpr int kSameAddress = 2;  // the SDP's address, another port
constexpr int kAny = 1;          // NAT: the SDP shows an address the packets do not come from

}  // namespace

void SourceLatch::expect(const struct sa &advertised, bool send_there) {
    send_to_advertised_ = send_there;
    if (advertised_ && sa_cmp(&*advertised_, &advertised, SA_ALL)) return;  // the same SDP again
    advertised_ = advertised;
    peer_.reset();
    peer_score_ = 0;
    locked_ = false;
    learned_packets_ = 0;
}

void SourceLatch::clear() {
    advertised_.reset();
    peer_.reset();
    peer_score_ = 0;
    locked_ = false;
    learned_packets_ = 0;
}

int SourceLatch::score(const struct sa &source) const {
    if (sa_cmp(&source, &*advertised_, SA_ALL)) return kExact;
    if (sa_cmp(&source, &*advertised_, SA_ADDR)) return kSameAddress;
    return kAny;
}

bool SourceLatch::take(const struct sa &source, std::uint64_t now_ms) {
    if (!advertised_) return false;
    if (!locked_) {
        if (learned_packets_ == 0) learning_since_ms_ = now_ms;
        if (learned_packets_ >= kLearningPackets || now_ms - learning_since_ms_ >= kLearningMs)
            locked_ = true;  // learning is over; its first packet gave a peer
    }
    if (locked_) return sa_cmp(&source, &*peer_, SA_ALL);

    ++learned_packets_;
    int rank = score(source);
    if (peer_ && sa_cmp(&source, &*peer_, SA_ALL)) return true;
    if (rank <= peer_score_) return false;  // no better than the peer learnt so far
    peer_ = source;
    peer_score_ = rank;
    locked_ = rank == kExact;  // nothing can beat it
    return true;
}

const struct sa *SourceLatch::destination() const {
    if (peer_) return &*peer_;
    return advertised_ && send_to_advertised_ ? &*advertised_ : nullptr;
}

}  // namespace sylk::media
