// The configured RTP port range handed out in even/odd pairs (RTP on the even port,
// RTCP on the odd one; the browser's muxed port takes a pair too). Pairs are released
// by their even port, only by the one owner of the session that holds them (the media
// worker, when that session's sockets are closed; a session may gain pairs for lines
// added mid-call), and a pair not held is left alone, so a port is never freed while
// another session holds it. Thread-safe: gateway threads
// reserve, media workers release.
//
// A pair is drawn at random (security-review.md F5: sequential ports let anyone guess a
// new call's ports and speak first, before the phone is learnt), from the half of the
// free pairs that have been free longest, so that a port just released is not handed
// out again at once (a late packet of the old call would reach the new one).
//
// Other programs may hold ports of the range (it often lies in the kernel's ephemeral
// range, where any client socket can take one): a pair is probed before it is handed
// out, and a pair that cannot be bound is skipped this time round, so a call is not
// given ports that its sockets then fail to bind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace sylk::media {

class RtpPortAllocator {
public:
    // Whether UDP port `port` can be bound now (by the process that asks).
    using PortProbe = std::function<bool(std::uint16_t port)>;

    // [first, last], both included; first is rounded up and last down to whole pairs.
    // Pairs are probed with `probe`; without one, with a UDP bind on `bind_address`.
    RtpPortAllocator(std::uint16_t first, std::uint16_t last, PortProbe probe);
    RtpPortAllocator(std::uint16_t first, std::uint16_t last, const std::string &bind_address = "127.0.0.1");

    // `count` even ports whose pairs could be bound, or nothing when the range has not
    // that many free pairs that can.
    std::optional<std::vector<std::uint16_t>> reserve(std::size_t count);
    // Frees the pairs of these even ports that are held; the others are left alone.
    void release(const std::vector<std::uint16_t> &ports);

    std::size_t free_pairs() const;
    std::size_t total_pairs() const { return pairs_; }
    // Pairs skipped so far because something else held one of their ports.
    std::uint64_t skipped_pairs() const;

private:
    mutable std::mutex mutex_;
    PortProbe probe_;
    std::uint16_t first_ = 0;
    std::size_t pairs_ = 0;
    std::vector<std::size_t> free_;  // free pairs, longest free first
    std::uint64_t skipped_ = 0;
    std::unordered_set<std::uint16_t> held_;  // even ports reserved and not released
};

// A probe binding a UDP socket to `bind_address`:port and closing it at once.
RtpPortAllocator::PortProbe udp_bind_probe(const std::string &bind_address);

}  // namespace sylk::media
