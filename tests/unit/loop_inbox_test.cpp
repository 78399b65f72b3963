// LoopInbox against a real libre loop on its own thread: nothing posted is lost,
// whatever the volume, and a closed inbox refuses instead of dropping.
#include "loop/loop_inbox.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <future>
#include <thread>
#include <vector>

#include <re.h>

using sylk::loop::LoopInbox;
using sylk::loop::PostResult;

namespace {

struct Numbered {
    int producer;
    int sequence;
};

// A libre loop on a thread of its own, with an inbox that records what it drains.
class LoopThread {
public:
    explicit LoopThread(int expected) : expected_(expected) {
        std::promise<void> opened;
        auto ready = opened.get_future();
        thread_ = std::thread([this, &opened] {
            re_thread_init();
            int err = inbox_.open([this](Numbered &message) {
                received_.push_back(message);
                if (static_cast<int>(received_.size()) == expected_) re_cancel();
            });
            opened.set_value();
            if (!err) re_main(nullptr);
            leftovers_ = inbox_.close().size();
            re_thread_close();
        });
        ready.get();
    }
    ~LoopThread() {
        if (thread_.joinable()) thread_.join();
    }
    void join() { thread_.join(); }

    LoopInbox<Numbered> inbox_;
    std::vector<Numbered> received_;
    std::size_t leftovers_ = 0;

private:
    int expected_;
    std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(loop_inbox)

// libre's mqueue alone refuses pushes past about 4,096 queued messages; 200,000 from
// two threads at once must all arrive, each producer's in its order.
BOOST_AUTO_TEST_CASE(every_message_from_two_threads_arrives_in_order) {
    libre_init();
    constexpr int kPerProducer = 100000;
    LoopThread loop(2 * kPerProducer);
    std::atomic<int> refused{0};  // Boost.Test's checks are not for other threads: count, check after
    auto produce = [&loop, &refused](int producer) {
        for (int i = 0; i < kPerProducer; ++i)
            if (loop.inbox_.post({producer, i}) != PostResult::delivered_later) ++refused;
    };
    std::thread first(produce, 0), second(produce, 1);
    first.join();
    second.join();
    BOOST_TEST(refused.load() == 0);
    loop.join();
    BOOST_TEST(loop.received_.size() == 2u * kPerProducer);
    int next[2] = {0, 0};
    for (const auto &message : loop.received_) {
        BOOST_REQUIRE_EQUAL(message.sequence, next[message.producer]);
        ++next[message.producer];
    }
    BOOST_TEST(loop.leftovers_ == 0u);
}

BOOST_AUTO_TEST_CASE(a_closed_inbox_refuses_and_returns_what_was_still_queued) {
    libre_init();
    LoopThread loop(1);
    BOOST_TEST((loop.inbox_.post({0, 0}) == PostResult::delivered_later));
    loop.join();
    BOOST_TEST((loop.inbox_.post({0, 1}) == PostResult::closed));
    BOOST_TEST(loop.received_.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
