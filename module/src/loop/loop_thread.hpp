// One thread with a libre loop of its own, from its start to its join: the SIP side
// and each media worker are one. libre's state is per thread (re_thread_init), so
// everything the loop owns is made and freed on that thread: the owner hands over
// what runs around re_main, and how to ask its loop to end. The asking is the
// owner's own: a stop message through its own LoopInbox, since only the owner knows
// what must be done before the loop may end (the SIP side unregisters first).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace sylk::loop {

struct LoopThreadSettings {
    std::string name;                    // the thread's, in top -H, perf and /proc/PID/task (15 characters at most)
    std::optional<int> max_descriptors;  // fd_setsize for this loop; none: libre's own default
    std::string label;                   // names the loop in a start-up error ("media worker 2")
};

// The owner's part of its loop's life.
struct LoopSteps {
    // On the new thread, after re_thread_init (and fd_setsize). Throws to refuse the
    // start: start() rethrows it, the same exception, on the starting thread.
    std::function<void()> set_up;
    // On the same thread, after re_main ends or after a refused start (it frees what
    // set_up got as far as making), before re_thread_close.
    std::function<void()> tear_down;
    // On the owner's thread, from stop(): posts whatever ends the loop (re_cancel),
    // now or once the owner's own shutdown is done.
    std::function<void()> ask_to_stop;
};

class LoopThread {
public:
    LoopThread() = default;
    ~LoopThread();  // stops a thread still running; never throws
    LoopThread(const LoopThread &) = delete;
    LoopThread &operator=(const LoopThread &) = delete;

    // Returns once set_up has succeeded; when it failed (or fd_setsize did), throws
    // its exception once the thread has torn down and been joined.
    void start(LoopThreadSettings settings, LoopSteps steps);
    // Asks the loop to end (ask_to_stop) and waits for the thread to finish. Returns
    // false when there was no thread: never started, refused, or stopped already.
    bool stop();

private:
    std::thread thread_;
    std::function<void()> ask_to_stop_;
};

}  // namespace sylk::loop
