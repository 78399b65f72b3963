// The configured RTP port range handed out in even/odd pairs (RTP on the even port,
// RTCP on the odd one; the browser's muxed port takes a pair too). A reservation is
// released whole, by its first port, and only by the one owner of the session it
// was opened with (the media worker, when that session's sockets are closed), so a
// port is never freed while another session holds it. Thread-safe: gateway threads
// reserve, media workers release.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace sylk::media {

class RtpPortAllocator {
public:
    // [first, last], both included; first is rounded up and last down to whole pairs.
    RtpPortAllocator(std::uint16_t first, std::uint16_t last);

    // `count` even ports, or nothing when the range has not that many free pairs.
    std::optional<std::vector<std::uint16_t>> reserve(std::size_t count);
    // Frees the reservation whose first port is `first_port`; nothing when none is held.
    void release(std::uint16_t first_port);

    std::size_t free_pairs() const;
    std::size_t total_pairs() const { return in_use_.size(); }

private:
    mutable std::mutex mutex_;
    std::uint16_t first_ = 0;
    std::vector<bool> in_use_;  // one per pair
    std::size_t free_ = 0;
    std::size_t cursor_ = 0;  // next pair to try: ports are reused as late as possible
    std::unordered_map<std::uint16_t, std::vector<std::uint16_t>> held_;  // by first port
};

}  // namespace sylk::media
