// REGISTER transactions over UDP to a registrar (or outbound proxy) at a fixed address,
// without libre's client transactions.
//
// libre keeps every finished UDP transaction for 5 s (RFC 3261 timer K) in its one sorted
// timer list, and each new transaction's retransmission timer (500 ms) is inserted by
// walking back past all of them: at thousands of registrations a second that walk is most
// of the SIP thread's time, and the lingering transactions' buffers most of its memory
// growth (see README, registration benchmark). Here a transaction is the request's bytes,
// retransmitted as RFC 3261 17.1.2.2 says (T1, doubling up to T2; every T2 once a
// provisional answer came; given up after 64*T1) from one DeadlineQueue, matched to its
// answers by Call-ID and CSeq, and forgotten at its final answer. What timer K is for on
// the client side, absorbing retransmitted answers, needs no timer here: an answer on one
// of our Call-IDs (16 hex digits) that no transaction awaits is dropped.
//
// Header-only; libre thread only.
#pragma once

#include "sip/deadline_queue.hpp"

#include <re.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <unordered_map>

namespace sylk::sip {

class UdpTransactions {
public:
    // Called once per transaction: with its final answer, or with err (ETIMEDOUT after
    // 64*T1, or a send error) and no message. Provisional answers only slow retransmission.
    using Handler = void (*)(int err, const struct sip_msg *message, void *arg);

    // Listens for answers on `stack` (nothing when stack is null).
    explicit UdpTransactions(struct ::sip *stack) : stack_(stack) {
        if (stack_) sip_listen(&listener_, stack_, false, receive, this);
    }
    ~UdpTransactions() {
        for (auto &entry : transactions_) mem_deref(entry.second.request);
        mem_deref(listener_);
    }
    UdpTransactions(const UdpTransactions &) = delete;
    UdpTransactions &operator=(const UdpTransactions &) = delete;

    bool listening() const { return listener_ != nullptr; }

    // Sends `request` (a complete REGISTER whose Call-ID is call_id, formatted %016llx, and
    // whose CSeq number is cseq) and keeps a reference to it for retransmissions. One
    // transaction per Call-ID: a new one replaces the last (which then reports nothing).
    // Returns the first send's error, in which case nothing is kept.
    int start(std::uint64_t call_id, std::uint32_t cseq, const struct sa &destination, struct mbuf *request,
              Handler handler, void *arg) {
        cancel(call_id);
        request->pos = 0;
        int err = sip_send(stack_, nullptr, SIP_TRANSP_UDP, &destination, request);
        if (err) return err;
        transactions_.emplace(call_id, Transaction{static_cast<struct mbuf *>(mem_ref(request)), destination, cseq,
                                                   SIP_T1, tmr_jiffies() + 64 * SIP_T1, handler, arg});
        arm(call_id, SIP_T1);
        return 0;
    }

    // Stops the Call-ID's transaction, if one is in flight, without a word.
    void cancel(std::uint64_t call_id) {
        auto found = transactions_.find(call_id);
        if (found == transactions_.end()) return;
        mem_deref(found->second.request);
        transactions_.erase(found);
        retransmissions_.cancel(call_id);
    }

private:
    struct Transaction {
        struct mbuf *request;
        struct sa destination;
        std::uint32_t cseq;
        std::uint32_t interval_ms;
        std::uint64_t give_up_at;  // libre jiffies (ms)
        Handler handler;
        void *arg;
    };

    void arm(std::uint64_t call_id, std::uint64_t delay_ms) {
        retransmissions_.schedule(call_id, delay_ms, [this, call_id] { retransmit(call_id); });
    }

    void retransmit(std::uint64_t call_id) {
        auto found = transactions_.find(call_id);
        if (found == transactions_.end()) return;
        Transaction &transaction = found->second;
        std::uint64_t now = tmr_jiffies();
        int err = now >= transaction.give_up_at ? ETIMEDOUT : 0;
        if (!err) {
            transaction.request->pos = 0;
            err = sip_send(stack_, nullptr, SIP_TRANSP_UDP, &transaction.destination, transaction.request);
        }
        if (err) return finish(found, err, nullptr);
        transaction.interval_ms = std::min<std::uint32_t>(transaction.interval_ms * 2, SIP_T2);
        arm(call_id, std::min<std::uint64_t>(transaction.interval_ms, transaction.give_up_at - now));
    }

    using Transactions = std::unordered_map<std::uint64_t, Transaction>;

    void finish(Transactions::iterator found, int err, const struct sip_msg *message) {
        Transaction done = found->second;
        retransmissions_.cancel(found->first);
        transactions_.erase(found);
        mem_deref(done.request);
        done.handler(err, message, done.arg);  // may start the next transaction on this Call-ID
    }

    // Answers on our Call-IDs (16 hex digits, REGISTER; libre's own transactions have had
    // theirs by now); anything else goes on to libre's other listeners. Only the awaited
    // answer of a transaction in flight counts; late or repeated ones are dropped.
    static bool receive(const struct sip_msg *message, void *arg) {
        auto *self = static_cast<UdpTransactions *>(arg);
        if (message->callid.l != 16 || pl_strcasecmp(&message->cseq.met, "REGISTER")) return false;
        for (std::size_t i = 0; i < 16; ++i)
            if (!std::isxdigit(static_cast<unsigned char>(message->callid.p[i]))) return false;
        auto found = self->transactions_.find(pl_x64(&message->callid));
        if (found == self->transactions_.end()) return true;
        Transaction &transaction = found->second;
        if (transaction.cseq != message->cseq.num) return true;
        if (message->scode < 200) {
            transaction.interval_ms = SIP_T2;  // proceeding: retransmit every T2 until the final answer
            return true;
        }
        self->finish(found, 0, message);
        return true;
    }

    struct ::sip *stack_;
    struct sip_lsnr *listener_ = nullptr;
    DeadlineQueue retransmissions_;  // by Call-ID
    Transactions transactions_;
};

}  // namespace sylk::sip
