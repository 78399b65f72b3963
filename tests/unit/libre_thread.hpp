// For unit tests that need a libre event loop: runs the body on a thread of its own
// with its own libre context, as the gateway's SIP thread and media workers have, and
// rethrows what it threw (Boost.Test's failed requirements included) on the caller's.
#pragma once

#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include <re.h>

namespace sylk::testing {

inline void on_libre_thread(const std::function<void()> &body) {
    static std::once_flag once;
    std::call_once(once, [] { libre_init(); });
    std::exception_ptr failure;
    std::thread thread([&] {
        re_thread_init();
        try {
            body();
        } catch (...) {
            failure = std::current_exception();
        }
        re_thread_close();
    });
    thread.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace sylk::testing
