// LoopInbox against a real libre loop on its own thread: nothing posted is lost,
// whatever the volume, and a closed inbox refuses instead of dropping.
#include "loop/loop_inbox.hpp"
#include "loop/loop_thread.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <re.h>

using sylk::loop::LoopInbox;
using sylk::loop::LoopThread;
using sylk::loop::PostResult;

namespace {

struct Numbered {
    int producer;
    int sequence;
};

// A libre loop on a thread of its own, with an inbox that records what it drains. It
// ends its loop itself once every expected message is in: nothing asks it to stop.
class CountingLoop {
public:
    explicit CountingLoop(int expected) : expected_(expected) {
        thread_.start({}, {[this] { open(); }, [this] { leftovers_ = inbox_.close().size(); }, [] {}});
    }
    void join() { thread_.stop(); }

    LoopInbox<Numbered> inbox_;
    std::vector<Numbered> received_;
    std::size_t leftovers_ = 0;

private:
    void open() {
        int err = inbox_.open([this](Numbered &message) {
            received_.push_back(message);
            if (static_cast<int>(received_.size()) == expected_) re_cancel();
        });
        if (err) throw std::runtime_error(std::string("cannot open the inbox: ") + std::strerror(err));
    }

    int expected_;
    LoopThread thread_;  // last: joined before the inbox goes
};

}  // namespace

BOOST_AUTO_TEST_SUITE(loop_inbox)

// libre's mqueue alone refuses pushes past about 4,096 queued messages; 200,000 from
// two threads at once must all arrive, each producer's in its order.
BOOST_AUTO_TEST_CASE(every_message_from_two_threads_arrives_in_order) {
    libre_init();
    constexpr int kPerProducer = 100000;
    CountingLoop loop(2 * kPerProducer);
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
    CountingLoop loop(1);
    BOOST_TEST((loop.inbox_.post({0, 0}) == PostResult::delivered_later));
    loop.join();
    BOOST_TEST((loop.inbox_.post({0, 1}) == PostResult::closed));
    BOOST_TEST(loop.received_.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
