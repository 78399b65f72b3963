// Caps how many transactions of one kind are in flight at once: REGISTERs (keyed by
// binding), and the INVITEs of calls being set up (keyed by call id). A burst of thousands
// (every account of a busy gateway registering together) would overflow the UDP buffers
// on both sides and turn into 500 ms retransmissions; queued attempts go out as slots free
// up. Waiting attempts are served round-robin by owner (the client's address), so that
// one client queueing thousands delays another's by one turn, not by all of its own.
// Libre thread only.
#pragma once

#include "sip/registration_types.hpp"

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace sylk::sip {

class SendWindow {
public:
    explicit SendWindow(std::size_t slots) : free_(slots) {}

    // Runs `start` now if a slot is free, else when one frees and it is `owner`'s turn.
    // A binding waits at most once.
    void acquire(BindingId binding, std::function<void()> start, const std::string &owner = {});
    // The binding's attempt is over (or will never start): frees its slot or its place in
    // line, and starts waiting bindings that now fit.
    void release(BindingId binding);
    // The same without starting anyone: for destructors, which must not run other
    // bindings' sends. Call start_waiting() afterwards.
    void abandon(BindingId binding) noexcept;
    void start_waiting();

private:
    // The next waiting binding in round-robin order, or nothing; its owner's turn moves on.
    std::optional<BindingId> next_waiting();

    std::size_t free_;
    std::unordered_set<BindingId> holding_;
    std::unordered_map<std::string, std::deque<BindingId>> waiting_;  // by owner, in order
    std::deque<std::string> turns_;  // owners with bindings waiting, next first
    std::unordered_map<BindingId, std::function<void()>> starts_;
};

}  // namespace sylk::sip
