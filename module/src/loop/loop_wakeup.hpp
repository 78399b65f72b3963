// Wakes one libre loop from any thread. libre's mqueue is a non-blocking pipe that
// refuses writes once about 4,096 messages wait in it; LoopInbox keeps at most one
// wake-up in it at a time, so the pipe never fills and nothing is carried in it.
#pragma once

struct mqueue;

namespace sylk::loop {

class LoopWakeup {
public:
    using Handler = void (*)(void *context);

    LoopWakeup() = default;
    ~LoopWakeup();
    LoopWakeup(const LoopWakeup &) = delete;
    LoopWakeup &operator=(const LoopWakeup &) = delete;

    // On the loop's thread, after re_thread_init. Returns 0 or an errno value.
    int open(Handler handler, void *context);
    // On the loop's thread; later wake() calls fail with EBADF.
    void close();
    // Any thread. Returns 0 or an errno value (the loop will not run the handler for it).
    int wake();

private:
    static void on_message(int id, void *data, void *arg);

    struct mqueue *queue_ = nullptr;
    Handler handler_ = nullptr;
    void *context_ = nullptr;
};

}  // namespace sylk::loop
