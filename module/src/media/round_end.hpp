// What a media worker's loop round leaves to its end, run there in a fixed order from
// one zero-delay timer (libre runs such a timer right after the round's descriptor
// handlers): first the phone side (PhoneRing: the round's phone reads and sends in one
// io_uring_enter, its reads then relayed, which queues packets for browsers), then the
// browser side (BrowserPort: one sendmmsg for what is queued, those packets included).
//
// Why not a timer each: libre's tmr_poll runs only the timers due when it began, and a
// zero-delay timer started from inside it (as the browser port's was, by the ring's
// relayed reads) gets the current millisecond. When that millisecond had begun after
// tmr_poll did, the timer waited for the next round, and with no descriptor ready, for
// epoll_wait's 1 ms timeout: phone-to-browser packets held up to a millisecond.
//
// A stage asked for again while the stages run (the ring's reads queue browser packets)
// is run again before the timer returns, until none is asked for (a bounded number of
// passes; after that, at the next round's end).
// Lives on one libre thread.
#pragma once

#include <cstdint>

#include <re.h>

namespace sylk::media {

class RoundEnd {
public:
    // Stages in the order they run.
    enum class Stage { phone_side = 0, browser_side = 1 };
    static constexpr int kStages = 2;

    class Flusher {
    public:
        virtual ~Flusher() = default;
        // Hands the round's queued work to the kernel.
        virtual void end_round() = 0;
    };

    RoundEnd();
    ~RoundEnd();
    RoundEnd(const RoundEnd &) = delete;
    RoundEnd &operator=(const RoundEnd &) = delete;

    // `flusher` runs as `stage` (one flusher a stage), until detach().
    void attach(Stage stage, Flusher &flusher);
    void detach(Stage stage, Flusher &flusher);

    // `stage` has work queued: it runs at the end of this round.
    void request(Stage stage);

private:
    static void on_timer(void *self);
    void run();

    static constexpr int kPasses = 4;  // rounds of the stages one timer runs at most

    Flusher *flushers_[kStages] = {};
    bool requested_[kStages] = {};
    bool running_ = false;
    struct tmr timer_ {};
};

}  // namespace sylk::media
