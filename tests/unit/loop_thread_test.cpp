// LoopThread, the one shell around a libre loop's thread: a refused start comes back to
// the starter as the set-up's own exception, and a started loop does its work on its
// own thread until its owner's stop message ends it.
#include "loop/loop_inbox.hpp"
#include "loop/loop_thread.hpp"

#include <boost/test/unit_test.hpp>

#include <pthread.h>

#include <cstring>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <re.h>

using sylk::loop::LoopInbox;
using sylk::loop::LoopThread;
using sylk::loop::PostResult;

namespace {

void initialise_libre() {
    static std::once_flag once;
    std::call_once(once, [] { libre_init(); });
}

std::string this_thread_name() {
    char name[16] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    return name;
}

struct Refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using Work = std::function<void()>;

// An owner as SipAgent and MediaWorker are: an inbox of its own, opened in set-up and
// closed in tear-down; its stop message is work that ends the loop. What happens on
// the loop's thread is written down in `steps` there, and read only after the join.
class WorkLoop {
public:
    explicit WorkLoop(std::vector<std::string> &steps) : steps_(steps) {}
    void start() {
        thread_.start({"sylk-test-loop", std::nullopt, {}},
                      {[this] { set_up(); }, [this] { tear_down(); }, [this] { post([this] { stop_message(); }); }});
    }
    bool stop() { return thread_.stop(); }
    PostResult post(Work work) { return inbox_.post(std::move(work)); }

    std::thread::id loop_thread_;
    std::string loop_thread_name_;

private:
    void set_up() {
        loop_thread_ = std::this_thread::get_id();
        loop_thread_name_ = this_thread_name();
        steps_.push_back("set up");
        if (int err = inbox_.open([](Work &work) { work(); }))
            throw std::runtime_error(std::string("cannot open the inbox: ") + std::strerror(err));
    }
    void tear_down() { steps_.push_back("torn down, " + std::to_string(inbox_.close().size()) + " left"); }
    void stop_message() {
        steps_.push_back("stop");
        re_cancel();
    }

    std::vector<std::string> &steps_;
    LoopInbox<Work> inbox_;
    LoopThread thread_;  // last: joined before the inbox goes
};

}  // namespace

BOOST_AUTO_TEST_SUITE(loop_thread)

BOOST_AUTO_TEST_CASE(a_refused_start_throws_the_set_ups_exception_on_the_starting_thread) {
    initialise_libre();
    std::optional<std::thread::id> set_up_on, torn_down_on;
    LoopThread thread;
    auto set_up = [&] {
        set_up_on = std::this_thread::get_id();
        throw Refused("no port for this loop");
    };
    auto tear_down = [&] { torn_down_on = std::this_thread::get_id(); };
    BOOST_CHECK_EXCEPTION(thread.start({}, {set_up, tear_down, [] {}}), Refused,
                          [](const Refused &error) { return std::string(error.what()) == "no port for this loop"; });
    // By then the thread has torn down what set-up made, on the loop's own thread, and is joined.
    BOOST_REQUIRE(set_up_on && torn_down_on);
    BOOST_TEST((*set_up_on != std::this_thread::get_id()));
    BOOST_TEST((*torn_down_on == *set_up_on));
    BOOST_TEST(!thread.stop());
}

BOOST_AUTO_TEST_CASE(a_started_loop_runs_posted_work_on_its_own_thread_and_stops_when_asked) {
    initialise_libre();
    std::vector<std::string> steps;
    WorkLoop loop(steps);
    loop.start();
    std::promise<std::thread::id> ran;
    BOOST_TEST((loop.post([&steps, &ran] {
                    steps.push_back("work");
                    ran.set_value(std::this_thread::get_id());
                }) == PostResult::delivered_later));
    std::thread::id ran_on = ran.get_future().get();
    BOOST_TEST(loop.stop());
    BOOST_TEST((ran_on != std::this_thread::get_id()));
    BOOST_TEST((ran_on == loop.loop_thread_));
    BOOST_TEST(loop.loop_thread_name_ == "sylk-test-loop");
    BOOST_TEST(steps == (std::vector<std::string>{"set up", "work", "stop", "torn down, 0 left"}),
               boost::test_tools::per_element());
    // Joined once: a second stop has nothing to do, and the closed inbox refuses.
    BOOST_TEST(!loop.stop());
    BOOST_TEST((loop.post([] {}) == PostResult::closed));
}

BOOST_AUTO_TEST_CASE(a_loop_still_running_is_stopped_and_joined_by_its_destructor) {
    initialise_libre();
    std::vector<std::string> steps;
    {
        WorkLoop loop(steps);
        loop.start();
    }
    BOOST_TEST(steps == (std::vector<std::string>{"set up", "stop", "torn down, 0 left"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
