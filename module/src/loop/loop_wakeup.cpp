#include "loop/loop_wakeup.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include <re.h>

namespace sylk::loop {

LoopWakeup::~LoopWakeup() { close(); }

int LoopWakeup::open(Handler handler, void *context) {
    handler_ = handler;
    context_ = context;
    return mqueue_alloc(&queue_, on_message, this);
}

void LoopWakeup::close() { queue_ = static_cast<struct mqueue *>(mem_deref(queue_)); }

int LoopWakeup::wake() { return queue_ ? mqueue_push(queue_, 0, nullptr) : EBADF; }

void LoopWakeup::on_message(int, void *, void *arg) {
    auto *self = static_cast<LoopWakeup *>(arg);
    self->handler_(self->context_);
}

}  // namespace sylk::loop
