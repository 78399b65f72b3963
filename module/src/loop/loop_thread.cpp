#include "loop/loop_thread.hpp"

#include <pthread.h>

#include <cstring>
#include <exception>
#include <future>
#include <stdexcept>
#include <utility>

#include <re.h>

namespace sylk::loop {

namespace {

// The thread's whole life, first line to last. `started` hears how the start went;
// tear-down follows either way, and start() joins it before it rethrows.
void run(const LoopThreadSettings &settings, LoopSteps &steps, std::promise<void> &started) {
    if (!settings.name.empty()) pthread_setname_np(pthread_self(), settings.name.c_str());
    re_thread_init();
    bool ready = false;
    try {
        if (settings.max_descriptors)
            if (int err = fd_setsize(*settings.max_descriptors))
                throw std::runtime_error(settings.label + ": cannot allow " +
                                         std::to_string(*settings.max_descriptors) + " descriptors: " +
                                         std::strerror(err));
        steps.set_up();
        ready = true;
    } catch (...) {
        started.set_exception(std::current_exception());
    }
    if (ready) {
        started.set_value();
        re_main(nullptr);
    }
    steps.tear_down();
    re_thread_close();
}

}  // namespace

LoopThread::~LoopThread() {
    try {
        stop();
    } catch (...) {
        // ask_to_stop threw, so the loop was never asked to end and cannot be joined:
        // std::thread's destructor then ends the process, which is better than a thread
        // left running on its owner's freed objects.
    }
}

void LoopThread::start(LoopThreadSettings settings, LoopSteps steps) {
    if (thread_.joinable()) throw std::logic_error("a loop thread was started twice");
    ask_to_stop_ = std::move(steps.ask_to_stop);
    std::promise<void> started;
    auto outcome = started.get_future();
    thread_ = std::thread(
        [settings = std::move(settings), steps = std::move(steps), started = std::move(started)]() mutable {
            run(settings, steps, started);
        });
    try {
        outcome.get();
    } catch (...) {
        thread_.join();
        throw;
    }
}

bool LoopThread::stop() {
    if (!thread_.joinable()) return false;
    ask_to_stop_();
    thread_.join();
    return true;
}

}  // namespace sylk::loop
