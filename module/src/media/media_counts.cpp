#include "media/media_counts.hpp"

namespace sylk::media {

namespace {

// The relayed counts in a fixed order, for the loops below.
constexpr std::uint64_t RelayedPackets::*kRelayedFields[] = {
    &RelayedPackets::browser_to_phone_rtp,
    &RelayedPackets::browser_to_phone_rtcp,
    &RelayedPackets::phone_to_browser_rtp,
    &RelayedPackets::phone_to_browser_rtcp,
};

}  // namespace

void add(MediaCounts &total, const MediaCounts &more) {
    for (auto member : kRelayedFields) total.relayed.*member += more.relayed.*member;
    add(total.dropped, more.dropped);
}

MediaCounts difference(const MediaCounts &now, const MediaCounts &before) {
    MediaCounts out;
    for (auto member : kRelayedFields) out.relayed.*member = now.relayed.*member - before.relayed.*member;
    for (std::size_t reason = 0; reason < kDropReasons; ++reason)
        drop_count(out.dropped, reason) = drop_count(now.dropped, reason) - drop_count(before.dropped, reason);
    return out;
}

// Relaxed: each value is a counter read on its own; nothing else is published with it.
void PublishedMediaCounts::publish(const MediaCounts &counts) {
    std::size_t index = 0;
    for (auto member : kRelayedFields) values_[index++].store(counts.relayed.*member, std::memory_order_relaxed);
    for (std::size_t reason = 0; reason < kDropReasons; ++reason)
        values_[index++].store(drop_count(counts.dropped, reason), std::memory_order_relaxed);
}

MediaCounts PublishedMediaCounts::read() const {
    MediaCounts counts;
    std::size_t index = 0;
    for (auto member : kRelayedFields) counts.relayed.*member = values_[index++].load(std::memory_order_relaxed);
    for (std::size_t reason = 0; reason < kDropReasons; ++reason)
        drop_count(counts.dropped, reason) = values_[index++].load(std::memory_order_relaxed);
    return counts;
}

}  // namespace sylk::media
