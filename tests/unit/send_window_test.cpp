#include "sip/send_window.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using sylk::sip::SendWindow;

BOOST_AUTO_TEST_SUITE(send_window)

BOOST_AUTO_TEST_CASE(attempts_beyond_the_slots_wait_in_order) {
    SendWindow window(2);
    std::vector<int> started;
    for (int binding = 1; binding <= 4; ++binding)
        window.acquire(binding, [&started, binding] { started.push_back(binding); });
    BOOST_TEST(started == (std::vector<int>{1, 2}));
    window.release(1);
    BOOST_TEST(started == (std::vector<int>{1, 2, 3}));
    window.release(2);
    window.release(3);
    BOOST_TEST(started == (std::vector<int>{1, 2, 3, 4}));
}

BOOST_AUTO_TEST_CASE(a_binding_that_goes_away_while_waiting_never_starts_and_frees_nothing) {
    SendWindow window(1);
    std::vector<int> started;
    window.acquire(1, [&] { started.push_back(1); });
    window.acquire(2, [&] { started.push_back(2); });
    window.acquire(3, [&] { started.push_back(3); });
    window.release(2);  // gone while waiting
    window.release(1);
    BOOST_TEST(started == (std::vector<int>{1, 3}));
    window.release(3);
    window.acquire(4, [&] { started.push_back(4); });  // the slot is free again
    BOOST_TEST(started == (std::vector<int>{1, 3, 4}));
}

BOOST_AUTO_TEST_CASE(a_retry_within_an_attempt_keeps_its_slot) {
    SendWindow window(1);
    int runs = 0;
    window.acquire(7, [&] { ++runs; });
    window.acquire(7, [&] { ++runs; });  // e.g. answering a challenge
    BOOST_TEST(runs == 2);
    window.release(7);
    window.release(7);  // releasing twice is harmless
    int other = 0;
    window.acquire(8, [&] { ++other; });
    BOOST_TEST(other == 1);
}

BOOST_AUTO_TEST_CASE(abandoning_frees_the_slot_but_starts_nobody_until_asked) {
    // What a Registration's destructor does: it must not run another binding's send.
    SendWindow window(1);
    std::vector<int> started;
    window.acquire(1, [&] { started.push_back(1); });
    window.acquire(2, [&] { started.push_back(2); });
    window.abandon(1);
    BOOST_TEST(started == (std::vector<int>{1}));
    window.acquire(3, [&] { started.push_back(3); });  // behind 2, though a slot is free
    BOOST_TEST(started == (std::vector<int>{1}));
    window.start_waiting();
    BOOST_TEST(started == (std::vector<int>{1, 2}));
    window.release(2);
    BOOST_TEST(started == (std::vector<int>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(waiting_attempts_take_turns_by_owner_so_a_flood_delays_another_by_one_turn) {
    SendWindow window(2);
    std::vector<int> started;
    for (int binding = 1; binding <= 1000; ++binding)  // one client queues a thousand
        window.acquire(binding, [&started, binding] { started.push_back(binding); }, "203.0.113.9");
    window.acquire(5001, [&] { started.push_back(5001); }, "198.51.100.7");  // another client, one
    window.acquire(5002, [&] { started.push_back(5002); }, "198.51.100.7");
    BOOST_TEST(started == (std::vector<int>{1, 2}));
    window.release(1);  // the flood's owner had its turn with 1 and 2: the other goes next
    window.release(2);
    BOOST_TEST(started == (std::vector<int>{1, 2, 3, 5001}));
    window.release(3);
    window.release(5001);
    BOOST_TEST(started == (std::vector<int>{1, 2, 3, 5001, 4, 5002}));
    window.release(4);
    window.release(5002);
    BOOST_TEST(started.back() == 6);  // only the flood is left
}

BOOST_AUTO_TEST_SUITE_END()
