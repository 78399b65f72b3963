#include "sip/send_window.hpp"

namespace sylk::sip {

void SendWindow::acquire(BindingId binding, std::function<void()> start, const std::string &owner) {
    if (holding_.count(binding)) return start();  // already has its slot (a retry within the attempt)
    if (free_ > 0 && turns_.empty()) {
        --free_;
        holding_.insert(binding);
        return start();
    }
    if (starts_.find(binding) == starts_.end()) {
        auto &queue = waiting_[owner];
        if (queue.empty()) turns_.push_back(owner);
        queue.push_back(binding);
    }
    starts_[binding] = std::move(start);
}

void SendWindow::release(BindingId binding) {
    abandon(binding);
    start_waiting();
}

void SendWindow::abandon(BindingId binding) noexcept {
    if (starts_.erase(binding)) return;  // still waiting: its place in line is skipped later
    if (holding_.erase(binding)) ++free_;
}

std::optional<BindingId> SendWindow::next_waiting() {
    while (!turns_.empty()) {
        std::string owner = std::move(turns_.front());
        turns_.pop_front();
        auto &queue = waiting_[owner];
        std::optional<BindingId> next;
        while (!queue.empty() && !next) {
            if (starts_.count(queue.front())) next = queue.front();  // else released while waiting
            queue.pop_front();
        }
        if (queue.empty()) waiting_.erase(owner);
        else turns_.push_back(std::move(owner));
        if (next) return next;
    }
    return std::nullopt;
}

void SendWindow::start_waiting() {
    while (free_ > 0) {
        auto next = next_waiting();
        if (!next) return;
        auto found = starts_.find(*next);
        auto start = std::move(found->second);
        starts_.erase(found);
        --free_;
        holding_.insert(*next);
        start();
    }
}

}  // namespace sylk::sip
