// A per-source allowance of log lines, so that one client cannot fill the log: 20,000
// binary frames once wrote 2.78 MB of warnings. `burst` lines at once, then one more
// every `refill`; the last line allowed says that more are being left out, and the next
// line allowed says how many were.
#pragma once

#include "access/token_bucket.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace sylk::log {

class LogBudget {
public:
    using Clock = access::TokenBucket::Clock;

    explicit LogBudget(unsigned burst = 10, Clock::duration refill = std::chrono::seconds(6))
        : bucket_(1.0 / std::chrono::duration<double>(refill).count(), burst) {}

    // The line to log for `message` now, or an empty string when it is to be left out.
    std::string admit(const std::string &message, Clock::time_point now = Clock::now()) {
        if (!bucket_.take(now)) {
            ++suppressed_;
            return {};
        }
        std::string line = message;
        if (suppressed_) line += " (" + std::to_string(suppressed_) + " similar lines left out)";
        suppressed_ = 0;
        return line;
    }

private:
    access::TokenBucket bucket_;
    std::size_t suppressed_ = 0;
};

}  // namespace sylk::log
