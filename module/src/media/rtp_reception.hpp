// One RTP stream as its receiver counts it, after RFC 3550 appendix A: packets lost
// (A.3: expected from the extended highest sequence number, less those received) and
// interarrival jitter (A.8). The sequence rules are A.1's without probation: a jump of
// more than 3,000 ahead (or more than 100 behind) is taken as a restart only when the
// next packet follows it. One SSRC's state at a time (under 64 bytes): a new SSRC, or a
// restart, adds the finished run's counts to sums and starts again. Plain arithmetic,
// no I/O; lives on the thread that feeds it.
#pragma once

#include <cstdint>
#include <optional>

namespace sylk::media {

class RtpReception {
public:
    // One packet: its header's SSRC, sequence number and timestamp, the clock rate of its
    // payload type (0: unknown, no jitter from it) and when it came (microseconds of any
    // monotonic clock).
    void receive(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp, std::uint32_t clock_rate,
                 std::uint64_t arrival_us);

    struct Figures {
        std::uint64_t counted = 0;   // packets A.1 counted (duplicates too; the first after a jump not)
        std::uint64_t expected = 0;  // over every run
        std::int64_t lost = 0;       // expected - counted: negative when duplicates outnumber losses
        double jitter_ms = 0;        // the current run's estimate
    };
    Figures figures() const;
    // The SSRC being received, and the clock rate of its last packet (for a peer's
    // report on it, whose jitter is in its timestamp units).
    std::optional<std::uint32_t> ssrc() const;
    std::uint32_t clock_rate() const { return clock_rate_; }

private:
    void start(std::uint32_t ssrc, std::uint16_t sequence);
    bool count_sequence(std::uint16_t sequence);
    void measure_jitter(std::uint32_t timestamp, std::uint32_t clock_rate, std::uint64_t arrival_us);
    std::uint64_t run_expected() const;

    bool started_ = false;
    std::uint16_t max_sequence_ = 0;
    bool has_transit_ = false;
    std::uint32_t ssrc_ = 0;
    std::uint32_t cycles_ = 0;  // sequence wraps, times 65,536
    std::uint32_t base_sequence_ = 0;
    std::uint32_t bad_sequence_ = 0;  // the one that would confirm a jump
    std::uint32_t clock_rate_ = 0;
    std::uint32_t last_transit_ = 0;  // arrival - timestamp, in timestamp units
    std::uint32_t counted_ = 0;       // this run
    std::uint64_t jitter16_ = 0;      // A.8's estimate in timestamp units, times 16 (A.8's integer form)
    std::uint64_t past_counted_ = 0;  // runs finished
    std::uint64_t past_expected_ = 0;
};

}  // namespace sylk::media
