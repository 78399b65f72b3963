#include "media/rtp_port_allocator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace sylk::media {

RtpPortAllocator::PortProbe udp_bind_probe(const std::string &bind_address) {
    sockaddr_storage address{};
    socklen_t length = 0;
    auto *v4 = reinterpret_cast<sockaddr_in *>(&address);
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&address);
    if (inet_pton(AF_INET, bind_address.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        length = sizeof *v4;
    } else if (inet_pton(AF_INET6, bind_address.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        length = sizeof *v6;
    } else {
        return [](std::uint16_t) { return true; };  // not an address: the sockets' own bind reports it
    }
    return [address, length](std::uint16_t port) {
        sockaddr_storage probe = address;
        if (probe.ss_family == AF_INET) reinterpret_cast<sockaddr_in *>(&probe)->sin_port = htons(port);
        else reinterpret_cast<sockaddr_in6 *>(&probe)->sin6_port = htons(port);
        int fd = ::socket(probe.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return true;  // out of descriptors: let the real bind say so
        bool free = ::bind(fd, reinterpret_cast<const sockaddr *>(&probe), length) == 0;
        ::close(fd);
        return free;
    };
}

RtpPortAllocator::RtpPortAllocator(std::uint16_t first, std::uint16_t last, PortProbe probe)
    : probe_(std::move(probe)) {
    std::uint32_t low = first + (first % 2);
    std::uint32_t high = last;  // the pair's odd port must fit: low + 2k + 1 <= last
    first_ = static_cast<std::uint16_t>(low);
    std::size_t pairs = high >= low + 1 ? (high - low + 1) / 2 : 0;
    in_use_.assign(pairs, false);
    free_ = pairs;
}

RtpPortAllocator::RtpPortAllocator(std::uint16_t first, std::uint16_t last, const std::string &bind_address)
    : RtpPortAllocator(first, last, udp_bind_probe(bind_address)) {}

std::optional<std::vector<std::uint16_t>> RtpPortAllocator::reserve(std::size_t count) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (count == 0 || count > free_) return std::nullopt;
    std::vector<std::uint16_t> ports;
    ports.reserve(count);
    // One lap at most: pairs that fail the probe stay free (they may be bound later).
    for (std::size_t tried = 0; tried < in_use_.size() && ports.size() < count; ++tried) {
        std::size_t pair = cursor_;
        cursor_ = (cursor_ + 1) % in_use_.size();
        if (in_use_[pair]) continue;
        auto port = static_cast<std::uint16_t>(first_ + 2 * pair);
        if (!probe_(port) || !probe_(static_cast<std::uint16_t>(port + 1))) {
            ++skipped_;
            continue;
        }
        in_use_[pair] = true;
        ports.push_back(port);
    }
    if (ports.size() < count) {
        for (auto port : ports) in_use_[(port - first_) / 2] = false;
        return std::nullopt;
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

std::uint64_t RtpPortAllocator::skipped_pairs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return skipped_;
}

}  // namespace sylk::media
