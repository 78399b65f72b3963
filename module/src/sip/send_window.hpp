// Caps how many transactions of one kind are in flight at once: REGISTERs (keyed by
// binding), and the INVITEs of calls being set up (keyed by call id). A burst of thousands
// (every account of a busy gateway registering together) would overflow the UDP buffers
// on both sides and turn into 500 ms retransmissions; queued attempts go out as slots free
// up. Libre thread only.
#pragma once

#include "sip/registration_types.hpp"

#include <cstddef>
#include <deque>
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace sylk::sip {

class SendWindow {
public:
    explicit SendWindow(std::size_t slots) : free_(slots) {}

    // Runs `start` now if a slot is free, else when one frees. A binding waits at most once.
    void acquire(BindingId binding, std::function<void()> start);
    // The binding's attempt is over (or will never start): frees its slot or its place in
    // line, and starts waiting bindings that now fit.
    void release(BindingId binding);
    // The same without starting anyone: for destructors, which must not run other
    // bindings' sends. Call start_waiting() afterwards.
    void abandon(BindingId binding) noexcept;
    void start_waiting();

private:
    std::size_t free_;
    std::unordered_set<BindingId> holding_;
    std::deque<BindingId> waiting_;
    std::unordered_map<BindingId, std::function<void()>> starts_;
};

}  // namespace sylk::sip
