// The one way a message reaches a libre loop from another thread: a lock-guarded
// queue of typed messages, drained on the loop's thread, with LoopWakeup only to
// wake the loop. It has no bound, so a message is never refused for load: the
// only refusal is a closed inbox (its loop has ended), which post() returns so
// that the sender reports it. SipAgent uses it for SIP commands; media loops will
// use it the same way.
#pragma once

#include "loop/loop_wakeup.hpp"

#include <cerrno>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace sylk::loop {

enum class PostResult {
    delivered_later,  // queued; the loop will handle it
    closed,           // the loop has ended: the message was not taken
    wake_failed,      // queued, but the loop could not be woken for a second (a broken
                      // pipe): it runs at the next post that wakes it; the sender must say so
};

template <typename Message>
class LoopInbox {
public:
    using Handler = std::function<void(Message &)>;

    // On the loop's thread. Returns 0 or an errno value.
    int open(Handler handler) {
        handler_ = std::move(handler);
        std::lock_guard<std::mutex> lock(mutex_);
        int err = wakeup_.open(&LoopInbox::drain_from_loop, this);
        open_ = err == 0;
        return err;
    }

    // On the loop's thread, when it ends. Messages still queued are returned so the
    // owner can account for them; later posts are refused.
    std::vector<Message> close() {
        std::lock_guard<std::mutex> lock(mutex_);
        open_ = false;
        wakeup_.close();
        return std::exchange(pending_, {});
    }

    // Any thread. A wake-up that fails is tried again for about a second (a stop that
    // was never heard would wait for good) before wake_failed is returned.
    PostResult post(Message message) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!open_) return PostResult::closed;
            pending_.push_back(std::move(message));
            if (wake_locked()) return PostResult::delivered_later;
        }
        for (int attempt = 0; attempt < 100; ++attempt) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            std::lock_guard<std::mutex> lock(mutex_);
            if (!open_ || wake_locked()) return PostResult::delivered_later;  // closed: close() returned it
        }
        return PostResult::wake_failed;
    }

    // On the loop's thread: handles everything queued so far, in order.
    void drain() {
        std::vector<Message> batch;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            wake_pending_ = false;
            batch.swap(pending_);
        }
        for (auto &message : batch) handler_(message);
    }

private:
    // One wake-up in the pipe at a time, so the pipe never fills.
    bool wake_locked() {
        if (!wake_pending_) wake_pending_ = wakeup_.wake() == 0;
        return wake_pending_;
    }

    static void drain_from_loop(void *self) { static_cast<LoopInbox *>(self)->drain(); }

    std::mutex mutex_;
    std::vector<Message> pending_;
    bool wake_pending_ = false;
    bool open_ = false;
    LoopWakeup wakeup_;
    Handler handler_;
};

}  // namespace sylk::loop
