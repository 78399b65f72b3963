// How long a CPU of this machine is taken away from whatever runs on it: spins on one
// CPU for a while reading the clock, and every gap between two reads longer than
// kGapNs is time it did not run (the hypervisor's steal, interrupts, other tasks). For
// bench/call-bench.py, which runs it alone on the CPU the relay under test gets
// (--pin), to say what latency that CPU allows at all.
//
// A packet arriving at a random moment waits, at least, for the rest of the stall it
// arrives in; the share of moments at which that rest exceeds x is
// sum(max(0, gap - x)) / run time. The x at which that share is 1 % is the p99 wait a
// relay on this CPU cannot go below, however fast it is (and one sleeping in epoll_wait
// pays its wake-ups on top).
//
//   cpu_stalls CPU SECONDS -> STALLS stolen_pct=.. over_1ms=.. longest_us=.. p99_wait_us=.. p999_wait_us=..
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr std::uint64_t kGapNs = 5000;  // longer than any two clock reads take here

std::uint64_t monotonic_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u + static_cast<std::uint64_t>(now.tv_nsec);
}

// The x (ns) at which sum(max(0, gap - x)) / total falls to `share`.
std::uint64_t wait_at_share(const std::vector<std::uint64_t> &gaps, std::uint64_t total, double share) {
    auto share_over = [&](std::uint64_t x) {
        double sum = 0;
        for (std::uint64_t gap : gaps)
            if (gap > x) sum += static_cast<double>(gap - x);
        return sum / static_cast<double>(total);
    };
    std::uint64_t low = 0, high = gaps.empty() ? 0 : *std::max_element(gaps.begin(), gaps.end());
    if (share_over(0) <= share) return 0;
    while (high - low > 1000) {  // to the microsecond
        std::uint64_t middle = low + (high - low) / 2;
        (share_over(middle) > share ? low : high) = middle;
    }
    return high;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: cpu_stalls CPU SECONDS\n");
        return 2;
    }
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(std::atoi(argv[1]), &cpus);
    if (::sched_setaffinity(0, sizeof cpus, &cpus) != 0) {
        std::perror("sched_setaffinity");
        return 1;
    }
    const std::uint64_t run_ns = static_cast<std::uint64_t>(std::atof(argv[2]) * 1e9);
    std::vector<std::uint64_t> gaps;
    gaps.reserve(1 << 20);
    std::uint64_t start = monotonic_ns(), last = start;
    for (;;) {
        std::uint64_t now = monotonic_ns();
        if (now - last > kGapNs) gaps.push_back(now - last);
        last = now;
        if (now - start >= run_ns) break;
    }
    std::uint64_t total = last - start, stolen = 0, over_1ms = 0, longest = 0;
    for (std::uint64_t gap : gaps) {
        stolen += gap;
        if (gap > 1000000) ++over_1ms;
        longest = std::max(longest, gap);
    }
    std::printf("STALLS stolen_pct=%.2f over_1ms=%llu longest_us=%llu p99_wait_us=%llu p999_wait_us=%llu\n",
                100.0 * static_cast<double>(stolen) / static_cast<double>(total),
                static_cast<unsigned long long>(over_1ms), static_cast<unsigned long long>(longest / 1000),
                static_cast<unsigned long long>(wait_at_share(gaps, total, 0.01) / 1000),
                static_cast<unsigned long long>(wait_at_share(gaps, total, 0.001) / 1000));
    return 0;
}
