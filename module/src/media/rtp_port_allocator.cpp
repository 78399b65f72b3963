#include "media/rtp_port_allocator.hpp"

namespace sylk::media {

RtpPortAllocator::RtpPortAllocator(std::uint16_t first, std::uint16_t last) {
    std::uint32_t low = first + (first % 2);
    std::uint32_t high = last;  // the pair's odd port must fit: low + 2k + 1 <= last
    first_ = static_cast<std::uint16_t>(low);
    std::size_t pairs = high >= low + 1 ? (high - low + 1) / 2 : 0;
    in_use_.assign(pairs, false);
    free_ = pairs;
}

std::optional<std::vector<std::uint16_t>> RtpPortAllocator::reserve(std::size_t count) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (count == 0 || count > free_) return std::nullopt;
    std::vector<std::uint16_t> ports;
    ports.reserve(count);
    while (ports.size() < count) {
        if (!in_use_[cursor_]) {
            in_use_[cursor_] = true;
            ports.push_back(static_cast<std::uint16_t>(first_ + 2 * cursor_));
        }
        cursor_ = (cursor_ + 1) % in_use_.size();
    }
    free_ -= count;
    held_.emplace(ports.front(), ports);
    return ports;
}

void RtpPortAllocator::release(std::uint16_t first_port) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto held = held_.find(first_port);
    if (held == held_.end()) return;
    for (auto port : held->second) in_use_[(port - first_) / 2] = false;
    free_ += held->second.size();
    held_.erase(held);
}

std::size_t RtpPortAllocator::free_pairs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return free_;
}

}  // namespace sylk::media
