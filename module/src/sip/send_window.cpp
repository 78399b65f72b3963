#include "sip/send_window.hpp"

namespace sylk::sip {

void SendWindow::acquire(BindingId binding, std::function<void()> start) {
    if (holding_.count(binding)) return start();  // already has its slot (a retry within the attempt)
    if (free_ > 0 && waiting_.empty()) {
        --free_;
        holding_.insert(binding);
        return start();
    }
    if (starts_.find(binding) == starts_.end()) waiting_.push_back(binding);
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

void SendWindow::start_waiting() {
    while (free_ > 0 && !waiting_.empty()) {
        BindingId next = waiting_.front();
        waiting_.pop_front();
        auto found = starts_.find(next);
        if (found == starts_.end()) continue;  // released while waiting
        auto start = std::move(found->second);
        starts_.erase(found);
        --free_;
        holding_.insert(next);
        start();
    }
}

}  // namespace sylk::sip
