// UdpTransactions on a real libre loop and SIP stack, against a plain UDP socket playing
// the registrar: answers matched by Call-ID and CSeq, identical retransmissions on
// RFC 3261's schedule, provisional answers slowing them to T2, cancel silencing them.
#include "sip/udp_transactions.hpp"

#include <boost/test/unit_test.hpp>

#include <re.h>

#include <cstdint>
#include <string>
#include <vector>

using sylk::sip::UdpTransactions;

namespace {

constexpr std::uint64_t kCallId = 0x0123456789abcdefull;

struct Received {
    std::uint64_t at_ms;
    std::string text;
};

// A SIP stack listening on UDP at 127.0.0.1 (any port), a UDP "registrar" socket, and the
// transactions under test; run() runs the libre loop for a while.
class Fixture {
public:
    Fixture() {
        libre_init();
        BOOST_REQUIRE_EQUAL(sip_alloc(&stack_, nullptr, 16, 16, 16, "test", nullptr, nullptr), 0);
        struct sa any;
        sa_set_str(&any, "127.0.0.1", 0);
        BOOST_REQUIRE_EQUAL(sip_transp_add(stack_, SIP_TRANSP_UDP, &any), 0);
        BOOST_REQUIRE_EQUAL(udp_listen(&registrar_, &any, registrar_received, this), 0);
        udp_local_get(registrar_, &registrar_address_);
        BOOST_REQUIRE_EQUAL(sip_transp_laddr(stack_, &gateway_address_, SIP_TRANSP_UDP, &registrar_address_), 0);
        transactions_ = new UdpTransactions(stack_);
        tmr_init(&stop_timer_);
        tmr_init(&step_timer_);
        started_ms_ = tmr_jiffies();
    }
    ~Fixture() {
        tmr_cancel(&stop_timer_);
        tmr_cancel(&step_timer_);
        delete transactions_;
        mem_deref(registrar_);
        sip_close(stack_, true);
        mem_deref(stack_);
    }

    // A REGISTER on kCallId with this CSeq, sent to the registrar socket.
    int start(std::uint32_t cseq) {
        struct mbuf *request = mbuf_alloc(512);
        mbuf_printf(request,
                    "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP %J;branch=z9hG4bK%u;rport\r\n"
                    "To: <sip:alice@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
                    "Call-ID: %016llx\r\nCSeq: %u REGISTER\r\nContent-Length: 0\r\n\r\n",
                    &gateway_address_, cseq, static_cast<unsigned long long>(kCallId), cseq);
        int err = transactions_->start(kCallId, cseq, registrar_address_, request, answered, this);
        mem_deref(request);
        return err;
    }

    // The registrar answers the last request it received, with this CSeq.
    void answer(unsigned status, std::uint32_t cseq) {
        BOOST_REQUIRE(!received_.empty());
        struct mbuf *reply = mbuf_alloc(512);
        mbuf_printf(reply,
                    "SIP/2.0 %u Whatever\r\nVia: SIP/2.0/UDP %J;branch=z9hG4bK%u;rport\r\n"
                    "To: <sip:alice@example.com>;tag=2\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
                    "Call-ID: %016llx\r\nCSeq: %u REGISTER\r\nContent-Length: 0\r\n\r\n",
                    status, &gateway_address_, cseq, static_cast<unsigned long long>(kCallId), cseq);
        reply->pos = 0;
        udp_send(registrar_, &gateway_address_, reply);
        mem_deref(reply);
    }

    // Runs the loop for `ms`; `step`, if given, runs once after `step_after_ms`.
    void run(std::uint64_t ms, std::uint64_t step_after_ms = 0, void (*step)(Fixture &) = nullptr) {
        step_ = step;
        if (step) tmr_start(&step_timer_, step_after_ms, run_step, this);
        tmr_start(&stop_timer_, ms, [](void *) { re_cancel(); }, nullptr);
        re_main(nullptr);
    }

    std::uint64_t elapsed(const Received &received) const { return received.at_ms - started_ms_; }

    UdpTransactions *transactions_ = nullptr;
    std::vector<Received> received_;  // by the registrar
    std::vector<std::pair<int, unsigned>> outcomes_;  // (err, status) per handler call

private:
    static void registrar_received(const struct sa *, struct mbuf *buffer, void *arg) {
        auto *self = static_cast<Fixture *>(arg);
        self->received_.push_back({tmr_jiffies(), std::string(reinterpret_cast<const char *>(mbuf_buf(buffer)),
                                                              mbuf_get_left(buffer))});
    }
    static void answered(int err, const struct sip_msg *message, void *arg) {
        static_cast<Fixture *>(arg)->outcomes_.emplace_back(err, message ? message->scode : 0u);
    }
    static void run_step(void *arg) {
        auto *self = static_cast<Fixture *>(arg);
        self->step_(*self);
    }

    struct ::sip *stack_ = nullptr;
    struct udp_sock *registrar_ = nullptr;
    struct sa registrar_address_ {};
    struct sa gateway_address_ {};
    struct tmr stop_timer_ {};
    struct tmr step_timer_ {};
    void (*step_)(Fixture &) = nullptr;
    std::uint64_t started_ms_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(udp_transactions)

BOOST_AUTO_TEST_CASE(the_final_answer_is_handed_over_once_and_retransmission_stops) {
    Fixture fixture;
    BOOST_REQUIRE_EQUAL(fixture.start(7), 0);
    fixture.run(200, 50, [](Fixture &f) {
        f.answer(200, 7);
        f.answer(200, 7);  // a repeated final answer: absorbed
    });
    fixture.run(1200);  // past T1 and 2*T1: nothing more is sent
    BOOST_TEST(fixture.received_.size() == 1u);
    BOOST_REQUIRE_EQUAL(fixture.outcomes_.size(), 1u);
    BOOST_TEST(fixture.outcomes_[0].first == 0);
    BOOST_TEST(fixture.outcomes_[0].second == 200u);
}

BOOST_AUTO_TEST_CASE(unanswered_requests_are_retransmitted_identically_at_t1_then_2t1) {
    Fixture fixture;
    BOOST_REQUIRE_EQUAL(fixture.start(1), 0);
    fixture.run(2000);  // sent at 0, then after T1 (500 ms), then after 2*T1 (at 1,500 ms)
    BOOST_REQUIRE_EQUAL(fixture.received_.size(), 3u);
    BOOST_TEST(fixture.received_[1].text == fixture.received_[0].text);
    BOOST_TEST(fixture.received_[2].text == fixture.received_[0].text);
    auto first_gap = fixture.received_[1].at_ms - fixture.received_[0].at_ms;
    auto second_gap = fixture.received_[2].at_ms - fixture.received_[1].at_ms;
    BOOST_TEST((first_gap >= 450 && first_gap <= 900), "first retransmission after " << first_gap << " ms");
    BOOST_TEST((second_gap >= 950 && second_gap <= 1450), "second retransmission after " << second_gap << " ms");
    BOOST_TEST(fixture.outcomes_.empty());
}

BOOST_AUTO_TEST_CASE(an_answer_with_another_cseq_is_dropped_and_the_awaited_one_counts) {
    Fixture fixture;
    BOOST_REQUIRE_EQUAL(fixture.start(5), 0);
    fixture.run(200, 50, [](Fixture &f) { f.answer(200, 4); });  // a late answer to an earlier request
    BOOST_TEST(fixture.outcomes_.empty());
    fixture.run(600);  // still in flight: retransmitted at T1
    BOOST_TEST(fixture.received_.size() == 2u);
    fixture.run(200, 50, [](Fixture &f) { f.answer(401, 5); });
    BOOST_REQUIRE_EQUAL(fixture.outcomes_.size(), 1u);
    BOOST_TEST(fixture.outcomes_[0].second == 401u);
}

BOOST_AUTO_TEST_CASE(a_provisional_answer_slows_retransmission_to_t2) {
    Fixture fixture;
    BOOST_REQUIRE_EQUAL(fixture.start(3), 0);
    fixture.run(2500, 100, [](Fixture &f) { f.answer(100, 3); });
    // The retransmission armed for T1 when it was sent still goes; after it they wait T2 (4 s).
    BOOST_TEST(fixture.received_.size() == 2u);
    BOOST_TEST(fixture.outcomes_.empty());
}

BOOST_AUTO_TEST_CASE(a_cancelled_transaction_is_not_retransmitted_nor_reported) {
    Fixture fixture;
    BOOST_REQUIRE_EQUAL(fixture.start(9), 0);
    fixture.run(100);
    fixture.transactions_->cancel(kCallId);
    fixture.run(1200, 50, [](Fixture &f) { f.answer(200, 9); });
    BOOST_TEST(fixture.received_.size() == 1u);
    BOOST_TEST(fixture.outcomes_.empty());
}

BOOST_AUTO_TEST_CASE(a_new_transaction_on_the_call_id_replaces_the_last) {
    Fixture fixture;
    BOOST_REQUIRE_EQUAL(fixture.start(1), 0);
    BOOST_REQUIRE_EQUAL(fixture.start(2), 0);
    fixture.run(200, 50, [](Fixture &f) {
        f.answer(200, 1);  // the replaced one's answer: dropped
        f.answer(200, 2);
    });
    BOOST_REQUIRE_EQUAL(fixture.outcomes_.size(), 1u);
    BOOST_TEST(fixture.outcomes_[0].second == 200u);
    BOOST_TEST(fixture.received_.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
