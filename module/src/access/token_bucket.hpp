// A token bucket: `burst` at once, then `rate` per second. Used for a connection's
// requests and for the log lines one source may cause.
#pragma once

#include <algorithm>
#include <chrono>

namespace sylk::access {

class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    TokenBucket(double rate_per_second, double burst) : rate_(rate_per_second), burst_(burst), tokens_(burst) {}

    // Takes one token if there is one.
    bool take(Clock::time_point now = Clock::now()) {
        if (started_) {
            double earned = std::chrono::duration<double>(now - last_).count() * rate_;
            tokens_ = std::min(burst_, tokens_ + std::max(0.0, earned));
        }
        started_ = true;
        last_ = now;
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

private:
    double rate_;
    double burst_;
    double tokens_;
    Clock::time_point last_{};
    bool started_ = false;
};

}  // namespace sylk::access
