// Where one direction of a relay stood still: stretches longer than kGapNs in which it
// delivered nothing while packets waited for it. On this machine the relay's CPU is
// taken away for 1-10 ms several times a second (bench/cpu_stalls); every packet that
// waits across such a stretch is late by most of it, whatever the relay does, and those
// packets make the p99. This tells them apart: how many gaps, their total and longest,
// how many packets waited across one ("held"), and the p99 latency of the others, the
// relay's own work and the drain of each backlog after a gap included. The same measure
// of the floor (bench/udp_relay) in the same run says whether the gaps are the relay's or
// the machine's: the floor does no SRTP, no allocation and has no event library.
// It also gives the direction's latency percentiles over every packet, from the same
// times (so that they are kept once).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace sylk::bench {

// The `percent`th percentile of ascending `values` (0 when there are none).
template <typename Value>
std::uint64_t percentile(const std::vector<Value> &values, std::size_t percent) {
    return values.empty() ? 0 : values[std::min(values.size() - 1, values.size() * percent / 100)];
}

class DeliveryGaps {
    // One packet's one-way time (0 if the clocks put delivery first).
    static std::uint64_t latency(std::uint64_t delivered, std::uint64_t sent) {
        return delivered > sent ? delivered - sent : 0;
    }

public:
    static constexpr std::uint64_t kGapNs = 1000000;  // 1 ms: the latency target's own bound

    void reserve(std::size_t count) { packets_.reserve(count); }
    // One packet: when it was sent to the relay and when the relay's output reached the
    // far end's kernel (one clock).
    void add(std::uint64_t sent_ns, std::uint64_t delivered_ns) { packets_.push_back({delivered_ns, sent_ns}); }

    // "NAMEp50_us=.. NAMEp99_us=.. NAMEmax_us=.. NAMEgaps=.. NAMEgap_ms=..
    //  NAMElongest_gap_us=.. NAMEheld=.. NAMEp99_unheld_us=..", whole microseconds.
    std::string summary(const std::string &name) {
        std::sort(packets_.begin(), packets_.end());  // by delivery
        std::vector<std::uint64_t> every;
        every.reserve(packets_.size());
        for (const auto &[delivered, sent] : packets_) every.push_back(latency(delivered, sent));
        std::sort(every.begin(), every.end());
        // earliest_waiting[k]: the earliest send among the packets delivered at k or later.
        std::vector<std::uint64_t> earliest_waiting(packets_.size() + 1, UINT64_MAX);
        for (std::size_t k = packets_.size(); k-- > 0;)
            earliest_waiting[k] = std::min(earliest_waiting[k + 1], packets_[k].second);
        // A gap ends at a delivery; it began at the delivery before, or later if nothing
        // was waiting yet then.
        std::vector<std::uint64_t> gap_ends;
        std::uint64_t total_ns = 0, longest_ns = 0;
        for (std::size_t k = 0; k + 1 < packets_.size(); ++k) {
            std::uint64_t start = std::max(packets_[k].first, earliest_waiting[k + 1]), end = packets_[k + 1].first;
            if (end <= start || end - start <= kGapNs) continue;
            gap_ends.push_back(end);
            total_ns += end - start;
            longest_ns = std::max(longest_ns, end - start);
        }
        // Held: sent before a gap ended and delivered when or after it ended (nothing is
        // delivered inside one). The last gap ending by the delivery is the one to check.
        std::vector<std::uint64_t> unheld;
        std::size_t held = 0;
        for (const auto &[delivered, sent] : packets_) {
            auto after = std::upper_bound(gap_ends.begin(), gap_ends.end(), delivered);
            if (after != gap_ends.begin() && *(after - 1) > sent) {
                ++held;
                continue;
            }
            unheld.push_back(latency(delivered, sent));
        }
        std::sort(unheld.begin(), unheld.end());
        std::ostringstream out;
        out << name << "p50_us=" << percentile(every, 50) / 1000 << " " << name
            << "p99_us=" << percentile(every, 99) / 1000 << " "
            << name << "max_us=" << (every.empty() ? 0 : every.back() / 1000) << " ";
        out << name << "gaps=" << gap_ends.size() << " " << name << "gap_ms=" << total_ns / 1000000 << " " << name
            << "longest_gap_us=" << longest_ns / 1000 << " " << name << "held=" << held << " " << name
            << "p99_unheld_us=" << percentile(unheld, 99) / 1000;
        packets_.clear();
        return out.str();
    }

private:
    std::vector<std::pair<std::uint64_t, std::uint64_t>> packets_;  // (delivered, sent)
};

}  // namespace sylk::bench
