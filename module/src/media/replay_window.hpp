// Which of the last 64 packet indexes of one stream were used, as RFC 3711 3.3.2 keeps
// them: the highest index so far and a bitmap behind it. A receiver refuses what it has
// seen (a replay) or what is older than the window; a sender refuses the same, so that
// no AES-GCM nonce is ever sealed twice. Indexes only grow: one older than the window
// cannot be told from a replay, so it is refused too.
#pragma once

#include <cstdint>

namespace sylk::media {

class ReplayWindow {
public:
    static constexpr std::uint64_t kSize = 64;

    enum class Fit {
        ahead,    // above the highest: new
        late,     // inside the window, not used yet
        used,     // inside the window, used already
        too_old,  // behind the window
    };

    // Starts the window at a stream's first index.
    explicit ReplayWindow(std::uint64_t first) : highest_(first), used_(1) {}

    Fit fit(std::uint64_t index) const {
        if (index > highest_) return Fit::ahead;
        std::uint64_t age = highest_ - index;
        if (age >= kSize) return Fit::too_old;
        return (used_ >> age & 1) ? Fit::used : Fit::late;
    }
    bool fresh(std::uint64_t index) const {
        Fit where = fit(index);
        return where == Fit::ahead || where == Fit::late;
    }

    // Records `index` as used; only for one fit() called ahead or late.
    void mark(std::uint64_t index) {
        if (index > highest_) {
            std::uint64_t shift = index - highest_;
            used_ = shift >= kSize ? 1 : (used_ << shift | 1);
            highest_ = index;
        } else {
            used_ |= std::uint64_t(1) << (highest_ - index);
        }
    }

    std::uint64_t highest() const { return highest_; }

private:
    std::uint64_t highest_;
    std::uint64_t used_;  // bit k: highest_ - k was used
};

}  // namespace sylk::media
