// Many deadlines (one refresh or retry per binding; one retransmission per UDP
// transaction in UdpTransactions, keyed by Call-ID) behind a single libre timer.
// libre keeps its timers in one sorted list that every new timer walks from the far
// end; one timer per registered account would make each SIP transaction's timer cost
// O(accounts). Libre thread only.
#pragma once

#include "sip/registration_types.hpp"

#include <re.h>

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>

namespace sylk::sip {

class DeadlineQueue {
public:
    DeadlineQueue();
    ~DeadlineQueue();
    DeadlineQueue(const DeadlineQueue &) = delete;
    DeadlineQueue &operator=(const DeadlineQueue &) = delete;

    // Runs `fire` after delay_ms; replaces the key's earlier deadline if any.
    void schedule(BindingId key, std::uint64_t delay_ms, std::function<void()> fire);
    void cancel(BindingId key);

private:
    void rearm();
    static void expired(void *arg);

    using Order = std::multimap<std::uint64_t, BindingId>;
    struct Entry {
        Order::iterator position;
        std::function<void()> fire;
    };
    Order order_;  // by due time (libre jiffies, ms)
    std::unordered_map<BindingId, Entry> entries_;
    struct tmr timer_ {};
    std::uint64_t armed_for_ = 0;  // due time the libre timer is set for; 0 when idle
};

}  // namespace sylk::sip
