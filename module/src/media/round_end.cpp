#include "media/round_end.hpp"

namespace sylk::media {

RoundEnd::RoundEnd() { tmr_init(&timer_); }

RoundEnd::~RoundEnd() { tmr_cancel(&timer_); }

void RoundEnd::attach(Stage stage, Flusher &flusher) { flushers_[static_cast<int>(stage)] = &flusher; }

void RoundEnd::detach(Stage stage, Flusher &flusher) {
    int at = static_cast<int>(stage);
    if (flushers_[at] != &flusher) return;
    flushers_[at] = nullptr;
    requested_[at] = false;
}

void RoundEnd::request(Stage stage) {
    requested_[static_cast<int>(stage)] = true;
    // While the stages run, run() sees the request; otherwise the timer brings it there.
    if (!running_ && !tmr_isrunning(&timer_)) tmr_start(&timer_, 0, &RoundEnd::on_timer, this);
}

void RoundEnd::on_timer(void *self) { static_cast<RoundEnd *>(self)->run(); }

void RoundEnd::run() {
    running_ = true;
    for (int pass = 0; pass < kPasses; ++pass) {
        bool ran = false;
        for (int at = 0; at < kStages; ++at) {
            if (!requested_[at]) continue;
            requested_[at] = false;
            ran = true;
            // Looked up each time: a flusher may detach (its worker closing) meanwhile.
            if (flushers_[at]) flushers_[at]->end_round();
        }
        if (!ran) break;
    }
    running_ = false;
    for (bool left : requested_)
        if (left) {
            tmr_start(&timer_, 0, &RoundEnd::on_timer, this);
            break;
        }
}

}  // namespace sylk::media
