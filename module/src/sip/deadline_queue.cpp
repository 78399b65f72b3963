#include "sip/deadline_queue.hpp"

#include <vector>

namespace sylk::sip {

DeadlineQueue::DeadlineQueue() { tmr_init(&timer_); }

DeadlineQueue::~DeadlineQueue() { tmr_cancel(&timer_); }

void DeadlineQueue::schedule(BindingId binding, std::uint64_t delay_ms, std::function<void()> fire) {
    cancel(binding);
    auto position = order_.emplace(tmr_jiffies() + delay_ms, binding);
    entries_.emplace(binding, Entry{position, std::move(fire)});
    rearm();
}

void DeadlineQueue::cancel(BindingId binding) {
    auto found = entries_.find(binding);
    if (found == entries_.end()) return;
    order_.erase(found->second.position);
    entries_.erase(found);
    rearm();
}

void DeadlineQueue::rearm() {
    if (order_.empty()) {
        tmr_cancel(&timer_);
        armed_for_ = 0;
        return;
    }
    std::uint64_t due = order_.begin()->first;
    if (due == armed_for_) return;
    std::uint64_t now = tmr_jiffies();
    tmr_start(&timer_, due > now ? due - now : 0, expired, this);
    armed_for_ = due;
}

void DeadlineQueue::expired(void *arg) {
    auto *self = static_cast<DeadlineQueue *>(arg);
    self->armed_for_ = 0;
    std::uint64_t now = tmr_jiffies();
    std::vector<std::function<void()>> due;
    while (!self->order_.empty() && self->order_.begin()->first <= now) {
        auto found = self->entries_.find(self->order_.begin()->second);
        due.push_back(std::move(found->second.fire));
        self->entries_.erase(found);
        self->order_.erase(self->order_.begin());
    }
    self->rearm();
    for (auto &fire : due) fire();  // may schedule again
}

}  // namespace sylk::sip
