// Totals the host can read at any time through the stats call, from any thread.
#pragma once

#include <atomic>
#include <cstddef>

namespace sylk::gateway {

struct Counters {
    std::atomic<std::size_t> connections{0};
    std::atomic<std::size_t> accounts{0};
    std::atomic<std::size_t> sessions{0};
    std::atomic<std::size_t> requests{0};
};

}  // namespace sylk::gateway
