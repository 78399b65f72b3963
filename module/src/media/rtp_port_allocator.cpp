#include "media/rtp_port_allocator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <random>

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

namespace {

// Unpredictable to others (OpenSSL's generator); std::random_device if that fails.
std::size_t random_below(std::size_t bound) {
    std::uint64_t value = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char *>(&value), sizeof value) != 1) {
        std::random_device device;
        value = std::uint64_t(device()) << 32 | device();
    }
    return static_cast<std::size_t>(value % bound);  // bound is at most 32,768: the bias is nil
}

}  // namespace

RtpPortAllocator::RtpPortAllocator(std::uint16_t first, std::uint16_t last, PortProbe probe)
    : probe_(std::move(probe)) {
    std::uint32_t low = first + (first % 2);
    std::uint32_t high = last;  // the pair's odd port must fit: low + 2k + 1 <= last
    first_ = static_cast<std::uint16_t>(low);
    pairs_ = high >= low + 1 ? (high - low + 1) / 2 : 0;
    for (std::size_t pair = 0; pair < pairs_; ++pair) free_.push_back(pair);
}

RtpPortAllocator::RtpPortAllocator(std::uint16_t first, std::uint16_t last, const std::string &bind_address)
    : RtpPortAllocator(first, last, udp_bind_probe(bind_address)) {}

std::optional<std::vector<std::uint16_t>> RtpPortAllocator::reserve(std::size_t count) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (count == 0 || count > free_.size()) return std::nullopt;
    std::vector<std::uint16_t> ports;
    ports.reserve(count);
    // One try per free pair at most. A pair that fails the probe goes to the back, so it
    // is not drawn again before the others (it may be bound later: it stays free).
    for (std::size_t tries = free_.size(); tries > 0 && ports.size() < count; --tries) {
        std::size_t at = random_below(std::max<std::size_t>(1, free_.size() / 2));
        std::size_t pair = free_[at];
        free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(at));
        auto port = static_cast<std::uint16_t>(first_ + 2 * pair);
        if (!probe_(port) || !probe_(static_cast<std::uint16_t>(port + 1))) {
            ++skipped_;
            free_.push_back(pair);
            continue;
        }
        ports.push_back(port);
    }
    if (ports.size() < count) {
        for (auto port : ports) free_.insert(free_.begin(), static_cast<std::size_t>((port - first_) / 2));
        return std::nullopt;
    }
    held_.insert(ports.begin(), ports.end());
    return ports;
}

void RtpPortAllocator::release(const std::vector<std::uint16_t> &ports) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto port : ports)
        if (held_.erase(port)) free_.push_back(static_cast<std::size_t>((port - first_) / 2));
}

std::size_t RtpPortAllocator::free_pairs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return free_.size();
}

std::uint64_t RtpPortAllocator::skipped_pairs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return skipped_;
}

}  // namespace sylk::media
