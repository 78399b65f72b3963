// For unit tests on a real libre loop that need to see where its rounds begin.
#pragma once

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <functional>

#include <re.h>

namespace sylk::testing {

// A descriptor that is always readable, so that its handler runs once in every loop
// round: it marks where each round's descriptor handlers run.
class RoundMarker {
public:
    explicit RoundMarker(std::function<void(unsigned round)> each_round) : each_round_(std::move(each_round)) {
        BOOST_TEST_REQUIRE(::pipe(pipe_) == 0);
        BOOST_TEST_REQUIRE(::write(pipe_[1], "x", 1) == 1);  // never read: readable for good
        BOOST_TEST_REQUIRE(fd_listen(pipe_[0], FD_READ, &RoundMarker::on_round, this) == 0);
    }
    ~RoundMarker() {
        fd_close(pipe_[0]);
        ::close(pipe_[0]);
        ::close(pipe_[1]);
    }

private:
    static void on_round(int, void *self) {
        auto *marker = static_cast<RoundMarker *>(self);
        marker->each_round_(marker->round_++);
    }
    int pipe_[2] = {-1, -1};
    unsigned round_ = 0;
    std::function<void(unsigned)> each_round_;
};

}  // namespace sylk::testing
