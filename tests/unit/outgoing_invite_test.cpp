// OutgoingInvite, the INVITE client of one outgoing call, on a real libre loop and SIP
// stack against a plain UDP socket playing the phone (answers are hand-written SIP text).
// What the far end sees is what counts: a 407 answered in the same dialog (same Call-ID
// and From tag, CSeq + 1, the credentials the call gave) and ACKed; a 2xx ACKed at its
// Contact, again for each retransmission of it, reported once; the phone's BYE and
// re-INVITE answered; our BYE or CANCEL when the call is let go of; error answers and
// refused challenges ending the call. Then DialogUpdates on the answered call's dialog,
// as SipCall puts it there: the phone's re-INVITE held (100 Trying) until the call
// answers, our 200 sent again until its ACK, UPDATEs, glare (491 both ways), an offerless
// re-INVITE answered in the ACK. The stack's listeners route in-dialog requests and
// retransmitted 2xx by Call-ID, as SipAgent's do.
#include "sip/dialog_updates.hpp"
#include "sip/outgoing_invite.hpp"

#include "libre_thread.hpp"
#include "udp_peer.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <re.h>

using sylk::sip::DialogUpdates;
using sylk::sip::OutgoingInvite;
using sylk::testing::Bytes;
using sylk::testing::on_libre_thread;
using sylk::testing::Peer;
using sylk::testing::socket_address;

namespace {

const std::string kOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                           "m=audio 40000 RTP/AVP 0\r\n";
const std::string kAnswer = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                            "m=audio 40002 RTP/AVP 0\r\n";
const std::string kCredentials =
    "Proxy-Authorization: Digest username=\"alice\", realm=\"test\", nonce=\"n1\", uri=\"sip:bob\", "
    "response=\"0123456789abcdef0123456789abcdef\"\r\n";
const char *const kContactUser = "gw-contact-1";

std::string text_of(const struct pl &value) { return std::string(value.p, value.l); }

std::uint16_t port_of(const Peer &peer) { return sa_port(&peer.address); }

// A SIP URI at a peer's socket: sip:bob@127.0.0.1:PORT.
std::string uri_at(const Peer &peer) { return "sip:bob@127.0.0.1:" + std::to_string(port_of(peer)); }

void run_loop_for(unsigned ms) {
    struct tmr stop;
    tmr_init(&stop);
    tmr_start(&stop, ms, [](void *) { re_cancel(); }, nullptr);
    re_main(nullptr);
    tmr_cancel(&stop);
}

bool same_name(const std::string &a, const std::string &b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// One datagram the peer received, as text and decoded by libre.
struct Message {
    std::string text;
    std::shared_ptr<struct sip_msg> decoded;

    const struct sip_msg *operator->() const { return decoded.get(); }
    std::string method() const { return text_of(decoded->met); }
    std::string call_id() const { return text_of(decoded->callid); }
    std::string body() const {
        auto end = text.find("\r\n\r\n");
        return end == std::string::npos ? "" : text.substr(end + 4);
    }
    // The values of the header lines called `name`, in order.
    std::vector<std::string> headers(const std::string &name) const {
        std::vector<std::string> values;
        std::size_t at = text.find("\r\n");
        while (at != std::string::npos && at + 2 < text.size()) {
            std::size_t start = at + 2, end = text.find("\r\n", start);
            if (end == start) break;  // the blank line: the headers are over
            std::string line = text.substr(start, end - start);
            auto colon = line.find(':');
            if (colon != std::string::npos && same_name(line.substr(0, colon), name)) {
                auto value = line.find_first_not_of(' ', colon + 1);
                values.push_back(value == std::string::npos ? "" : line.substr(value));
            }
            at = end;
        }
        return values;
    }
    // The first one's value ("" when there is none).
    std::string header(const std::string &name) const {
        auto values = headers(name);
        return values.empty() ? "" : values.front();
    }
    // Those lines again, CRLF included.
    std::string header_lines(const std::string &name) const {
        std::string lines;
        for (const auto &value : headers(name)) lines += name + ": " + value + "\r\n";
        return lines;
    }
    // The URI in the Contact header.
    std::string contact_uri() const {
        const struct sip_hdr *contact = sip_msg_hdr(decoded.get(), SIP_HDR_CONTACT);
        struct sip_addr address;
        if (!contact || sip_addr_decode(&address, &contact->val) != 0) return "";
        return text_of(address.auri);
    }
};

std::optional<Message> receive_now(const Peer &peer) {
    if (peer.receives_nothing_for(0)) return std::nullopt;
    Bytes bytes = peer.receive();
    struct mbuf *buffer = mbuf_alloc(bytes.size());
    BOOST_TEST_REQUIRE(buffer != nullptr);
    mbuf_write_mem(buffer, bytes.data(), bytes.size());
    buffer->pos = 0;
    struct sip_msg *decoded = nullptr;
    int err = sip_msg_decode(&decoded, buffer);
    mem_deref(buffer);
    std::string text(bytes.begin(), bytes.end());
    BOOST_TEST_REQUIRE(err == 0, "not SIP: " << text);
    return Message{text, std::shared_ptr<struct sip_msg>(decoded, [](struct sip_msg *m) { mem_deref(m); })};
}

// Runs the loop until the peer receives a message `wanted` accepts (others are skipped);
// fails the test after `seconds`.
Message next_message(const Peer &peer, const std::function<bool(const Message &)> &wanted, const std::string &what,
                     int seconds = 2) {
    for (int slice = 0; slice < seconds * 100; ++slice) {
        run_loop_for(10);
        while (auto message = receive_now(peer)) {
            if (wanted(*message)) return *message;
            BOOST_TEST_MESSAGE("skipped, waiting for " << what << ": "
                                                        << message->text.substr(0, message->text.find('\r')));
        }
    }
    BOOST_FAIL("no " << what << " within " << seconds << " s");
    throw std::logic_error("unreachable");
}

Message next_request(const Peer &peer, const std::string &method, int seconds = 2) {
    return next_message(peer, [&](const Message &m) { return m->req && m.method() == method; }, method, seconds);
}

Message next_response(const Peer &peer, std::uint16_t code) {
    return next_message(peer, [&](const Message &m) { return !m->req && m->scode == code; },
                        std::to_string(code) + " answer");
}

// True when, running the loop for `ms`, the peer receives no request of `method`.
bool no_request_for(const Peer &peer, const std::string &method, unsigned ms) {
    bool none = true;
    for (unsigned waited = 0; waited < ms; waited += 10) {
        run_loop_for(10);
        while (auto message = receive_now(peer))
            if ((*message)->req && message->method() == method) none = false;
    }
    return none;
}

const char *reason_of(std::uint16_t code) {
    switch (code) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 200: return "OK";
    case 407: return "Proxy Authentication Required";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 491: return "Request Pending";
    default: return "Whatever";
    }
}

const char *const kCalleeTag = "callee-tag-1";

// The phone's side of the call and the OutgoingInvite under test, on one SIP stack whose
// listeners route by Call-ID as SipAgent's do.
class Harness {
public:
    Peer phone;  // the target: sip:bob@127.0.0.1:PORT
    std::unique_ptr<OutgoingInvite> invite;
    std::unique_ptr<DialogUpdates> updates;  // once answered, as SipCall makes it

    // What DialogUpdates reported.
    std::vector<std::pair<std::uint32_t, std::string>> offers, answers_in_ack;
    std::vector<std::pair<std::uint16_t, std::string>> update_answers;  // code, sdp

    // What the events reported.
    int provisionals = 0, answers = 0, challenges = 0, endings = 0;
    std::string challenge_header;  // Proxy-Authenticate of the challenge seen
    std::optional<std::string> credentials = kCredentials;  // what `challenged` returns
    int ended_error = -1;
    std::uint16_t ended_code = 0;
    bool ended_by_request = false;
    std::string ended_method;

    Harness() {
        BOOST_TEST_REQUIRE(sip_alloc(&stack_, nullptr, 32, 32, 32, "test", nullptr, nullptr) == 0);
        // Before anything else, as the agent's come before sipsess's.
        BOOST_TEST_REQUIRE(sip_listen(&requests_, stack_, true, request_listener, this) == 0);
        BOOST_TEST_REQUIRE(sip_listen(&responses_, stack_, false, response_listener, this) == 0);
        struct sa local = socket_address("127.0.0.1", 0);
        BOOST_TEST_REQUIRE(sip_transp_add(stack_, SIP_TRANSP_UDP, &local) == 0);
        BOOST_TEST_REQUIRE(sip_transp_laddr(stack_, &gateway_, SIP_TRANSP_UDP, &phone.address) == 0);
    }
    ~Harness() {
        let_go();
        run_loop_for(20);
        mem_deref(requests_);
        mem_deref(responses_);
        sip_close(stack_, true);
        mem_deref(stack_);
    }
    Harness(const Harness &) = delete;
    Harness &operator=(const Harness &) = delete;

    // Places the call to the phone; returns the INVITE it receives.
    Message place_call() {
        OutgoingInvite::Spec spec{uri_at(phone), "sip:alice@example.com", std::nullopt, kContactUser, std::nullopt,
                                  kOffer, 0, {}};
        OutgoingInvite::Events events;
        events.provisional = [this](const struct sip_msg &) { ++provisionals; };
        events.answered = [this](const struct sip_msg &) {
            ++answers;
            DialogUpdates::Events dialog_events;
            dialog_events.offered = [this](std::uint32_t seq, const std::string &sdp) { offers.emplace_back(seq, sdp); };
            dialog_events.answered_in_ack = [this](std::uint32_t seq, const std::string &sdp) {
                answers_in_ack.emplace_back(seq, sdp);
            };
            dialog_events.update_answered = [this](std::uint16_t code, const std::string &, const std::string &sdp) {
                update_answers.emplace_back(code, sdp);
            };
            updates = std::make_unique<DialogUpdates>(stack_, invite->dialog(), kContactUser, true,
                                                      std::move(dialog_events));
        };
        events.challenged = [this](const struct sip_msg &message) {
            ++challenges;
            const struct sip_hdr *header = sip_msg_hdr(&message, SIP_HDR_PROXY_AUTHENTICATE);
            challenge_header = header ? text_of(header->val) : "";
            return credentials;
        };
        events.ended = [this](int error, const struct sip_msg *message) {
            ++endings;
            ended_error = error;
            ended_code = message && !message->req ? message->scode : 0;
            ended_by_request = message && message->req;
            ended_method = message && message->req ? text_of(message->met) : "";
        };
        invite = std::make_unique<OutgoingInvite>(stack_, std::move(spec), std::move(events));
        BOOST_TEST_REQUIRE(invite->start() == 0);
        calls_[invite->call_id()] = invite.get();
        return next_request(phone, "INVITE");
    }

    // Destroys the OutgoingInvite, as SipCall does (first out of the listeners' reach).
    void let_go() {
        if (!invite) return;
        calls_.erase(invite->call_id());
        updates.reset();
        invite.reset();
    }

    // `from` answers `request` with `code` (a To tag added unless it has one); returns the
    // answer as sent.
    std::string answer(const Peer &from, const Message &request, std::uint16_t code, const std::string &headers = "",
                       const std::string &body = "", const std::string &tag = kCalleeTag) const {
        std::string to = "To: " + request.header("To");
        if (code > 100 && request->to.tag.l == 0) to += ";tag=" + tag;
        std::string text = "SIP/2.0 " + std::to_string(code) + " " + reason_of(code) + "\r\n" +
                           request.header_lines("Via") + "From: " + request.header("From") + "\r\n" + to + "\r\n" +
                           "Call-ID: " + request.call_id() + "\r\nCSeq: " + request.header("CSeq") + "\r\n" + headers +
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        send(from, text);
        return text;
    }

    // `from` sends a request in the dialog the phone's 200 to `invite` made: From and To
    // swapped, sent to the INVITE's Contact; returns it as sent.
    std::string send_in_dialog(const Peer &from, const Message &invite_sent, const std::string &method,
                               std::uint32_t cseq, const std::string &headers = "", const std::string &body = "") {
        std::string text = method + " " + invite_sent.contact_uri() + " SIP/2.0\r\n" +
                           "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(port_of(from)) + ";branch=z9hG4bK-phone-" +
                           std::to_string(++branches_) + ";rport\r\n" + "Max-Forwards: 70\r\n" + "From: <" +
                           uri_at(phone) + ">;tag=" + kCalleeTag + "\r\nTo: " + invite_sent.header("From") + "\r\n" +
                           "Call-ID: " + invite_sent.call_id() + "\r\nCSeq: " + std::to_string(cseq) + " " + method +
                           "\r\n" + headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        send(from, text);
        return text;
    }

    // `from` sends these bytes again (a retransmission).
    void send_again(const Peer &from, const std::string &text) const { send(from, text); }

    // Places the call and has the phone answer it with 200 (Contact: the phone); returns
    // the INVITE.
    Message answered_call() {
        Message invite_sent = place_call();
        answer(phone, invite_sent, 200, "Contact: <" + uri_at(phone) + ">\r\nContent-Type: application/sdp\r\n",
               kAnswer);
        next_request(phone, "ACK");
        BOOST_TEST_REQUIRE(answers == 1);
        return invite_sent;
    }

    std::uint16_t gateway_port() const { return sa_port(&gateway_); }

private:
    void send(const Peer &from, const std::string &text) const {
        from.send_to(gateway_, Bytes(text.begin(), text.end()));
    }

    OutgoingInvite *call_for(const struct sip_msg *message) {
        auto call = calls_.find(text_of(message->callid));
        return call == calls_.end() ? nullptr : call->second;
    }
    static bool request_listener(const struct sip_msg *message, void *arg) {
        auto *self = static_cast<Harness *>(arg);
        OutgoingInvite *call = self->call_for(message);
        if (call && self->updates && self->updates->take_request(*message)) return true;
        return call && call->take_request(*message);
    }
    static bool response_listener(const struct sip_msg *message, void *arg) {
        auto *self = static_cast<Harness *>(arg);
        OutgoingInvite *call = self->call_for(message);
        if (call && self->updates && self->updates->take_response(*message)) return true;
        return call && call->take_response(*message);
    }

    struct ::sip *stack_ = nullptr;
    struct sip_lsnr *requests_ = nullptr;
    struct sip_lsnr *responses_ = nullptr;
    struct sa gateway_ {};
    std::map<std::string, OutgoingInvite *> calls_;
    int branches_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(outgoing_invite)

BOOST_AUTO_TEST_CASE(a_407_is_acked_and_the_invite_sent_again_in_the_same_dialog_with_the_credentials) {
    on_libre_thread([] {
        Harness h;
        Message first = h.place_call();
        BOOST_TEST(first.header("Proxy-Authorization").empty());
        BOOST_TEST(first.body() == kOffer);
        h.answer(h.phone, first, 407, "Proxy-Authenticate: Digest realm=\"test\", nonce=\"n1\"\r\n");

        Message ack = next_request(h.phone, "ACK");
        BOOST_TEST(ack->cseq.num == first->cseq.num);
        BOOST_TEST(ack->to.tag.l > 0);

        Message second = next_request(h.phone, "INVITE");
        BOOST_TEST(h.challenges == 1);
        BOOST_TEST(h.challenge_header == "Digest realm=\"test\", nonce=\"n1\"");
        BOOST_TEST(second.text.find(kCredentials) != std::string::npos, second.text);
        BOOST_TEST(second.call_id() == first.call_id());
        BOOST_TEST(text_of(second->from.tag) == text_of(first->from.tag));
        BOOST_TEST(second->to.tag.l == 0u);
        BOOST_TEST(second->cseq.num == first->cseq.num + 1);
        BOOST_TEST(text_of(second->cseq.met) == "INVITE");
        BOOST_TEST(second.body() == kOffer);
        BOOST_TEST(h.endings == 0);
        BOOST_TEST(h.answers == 0);

        // The retry is answered as any INVITE is.
        h.answer(h.phone, second, 200, "Contact: <" + uri_at(h.phone) + ">\r\n", kAnswer);
        BOOST_TEST(next_request(h.phone, "ACK")->cseq.num == second->cseq.num);
        BOOST_TEST(h.answers == 1);
        BOOST_TEST(h.challenges == 1);
    });
}

BOOST_AUTO_TEST_CASE(a_200_is_reported_once_and_acked_at_its_contact_again_for_each_retransmission) {
    on_libre_thread([] {
        Harness h;
        Peer contact;  // where the phone says it is: the ACK goes there, not to the target
        Message invite_sent = h.place_call();
        BOOST_TEST(invite_sent.contact_uri().find(kContactUser) != std::string::npos, invite_sent.contact_uri());
        h.answer(h.phone, invite_sent, 180);
        run_loop_for(50);
        BOOST_TEST(h.provisionals == 1);

        std::string ok = h.answer(h.phone, invite_sent, 200,
                                  "Contact: <" + uri_at(contact) + ">\r\nContent-Type: application/sdp\r\n", kAnswer);
        Message ack = next_request(contact, "ACK");
        BOOST_TEST(h.answers == 1);
        BOOST_TEST(h.invite->answered());
        BOOST_TEST(text_of(ack->ruri) == uri_at(contact));
        BOOST_TEST(ack->cseq.num == invite_sent->cseq.num);
        BOOST_TEST(text_of(ack->cseq.met) == "ACK");
        BOOST_TEST(ack.call_id() == invite_sent.call_id());
        BOOST_TEST(text_of(ack->from.tag) == text_of(invite_sent->from.tag));
        BOOST_TEST(text_of(ack->to.tag) == kCalleeTag);
        BOOST_TEST(no_request_for(h.phone, "ACK", 100));

        // The 200 again (our ACK was lost): through the listener to take_response.
        h.phone.send_to(socket_address("127.0.0.1", h.gateway_port()), Bytes(ok.begin(), ok.end()));
        Message again = next_request(contact, "ACK");
        BOOST_TEST(again.text == ack.text);
        h.phone.send_to(socket_address("127.0.0.1", h.gateway_port()), Bytes(ok.begin(), ok.end()));
        BOOST_TEST(next_request(contact, "ACK").text == ack.text);
        run_loop_for(50);
        BOOST_TEST(h.answers == 1);
        BOOST_TEST(h.endings == 0);
    });
}

// A proxy forking the INVITE: each fork's reliable 183 is PRACKed in its own early dialog
// (at its Contact, under its To tag); the 2xx of one fork confirms its dialog, whose next
// request counts on from its PRACK; a later 2xx of the other is ACKed and ended.
BOOST_AUTO_TEST_CASE(each_fork_is_pracked_in_its_own_dialog_and_the_2xx_picks_one) {
    on_libre_thread([] {
        Harness h;
        Peer fork_a, fork_b;
        Message invite_sent = h.place_call();
        auto reliable = [&](const Peer &fork, const char *tag, std::uint32_t rseq) {
            h.answer(h.phone, invite_sent, 183,
                     "Contact: <" + uri_at(fork) + ">\r\nRequire: 100rel\r\nRSeq: " + std::to_string(rseq) +
                         "\r\nContent-Type: application/sdp\r\n",
                     kAnswer, tag);
        };
        reliable(fork_a, "fork-a", 7);
        Message prack_a = next_request(fork_a, "PRACK");
        reliable(fork_b, "fork-b", 30);
        Message prack_b = next_request(fork_b, "PRACK");
        BOOST_TEST(text_of(prack_a->to.tag) == "fork-a");
        BOOST_TEST(text_of(prack_b->to.tag) == "fork-b");
        BOOST_TEST(prack_a.header("RAck") == "7 " + std::to_string(invite_sent->cseq.num) + " INVITE");
        BOOST_TEST(prack_b.header("RAck") == "30 " + std::to_string(invite_sent->cseq.num) + " INVITE");
        BOOST_TEST(prack_a.call_id() == invite_sent.call_id());
        BOOST_TEST(prack_b->cseq.num > invite_sent->cseq.num);
        // A retransmission of fork a's 183 is not PRACKed or reported again; its next one is.
        reliable(fork_a, "fork-a", 7);
        BOOST_TEST(no_request_for(fork_a, "PRACK", 100));
        reliable(fork_a, "fork-a", 8);
        BOOST_TEST(next_request(fork_a, "PRACK").header("RAck") == "8 " + std::to_string(invite_sent->cseq.num) + " INVITE");
        BOOST_TEST(h.provisionals == 3);

        // Fork b answers: ACKed at its Contact, in its dialog.
        h.answer(h.phone, invite_sent, 200, "Contact: <" + uri_at(fork_b) + ">\r\nContent-Type: application/sdp\r\n",
                 kAnswer, "fork-b");
        Message ack = next_request(fork_b, "ACK");
        BOOST_TEST(text_of(ack->to.tag) == "fork-b");
        BOOST_TEST(ack->cseq.num == invite_sent->cseq.num);
        BOOST_TEST(h.answers == 1);
        BOOST_TEST(h.endings == 0);

        // Fork a answers too, late: ACKed and ended at its Contact; the call goes on.
        h.answer(h.phone, invite_sent, 200, "Contact: <" + uri_at(fork_a) + ">\r\nContent-Type: application/sdp\r\n",
                 kAnswer, "fork-a");
        BOOST_TEST(text_of(next_request(fork_a, "ACK")->to.tag) == "fork-a");
        BOOST_TEST(text_of(next_request(fork_a, "BYE")->to.tag) == "fork-a");
        BOOST_TEST(h.answers == 1);
        BOOST_TEST(h.endings == 0);

        // Our BYE goes to fork b, after its PRACK in CSeq order.
        h.let_go();
        Message bye = next_request(fork_b, "BYE");
        BOOST_TEST(text_of(bye->to.tag) == "fork-b");
        BOOST_TEST(bye->cseq.num > prack_b->cseq.num);
    });
}

BOOST_AUTO_TEST_CASE(the_phones_bye_is_answered_and_ends_the_call_with_no_bye_of_ours) {
    on_libre_thread([] {
        Harness h;
        Message invite_sent = h.answered_call();
        h.send_in_dialog(h.phone, invite_sent, "BYE", 1);
        Message ok = next_response(h.phone, 200);
        BOOST_TEST(text_of(ok->cseq.met) == "BYE");
        BOOST_TEST(h.endings == 1);
        BOOST_TEST(h.ended_error == 0);
        BOOST_TEST(h.ended_by_request);
        BOOST_TEST(h.ended_method == "BYE");

        h.let_go();
        BOOST_TEST(no_request_for(h.phone, "BYE", 300));
        BOOST_TEST(h.endings == 1);
    });
}

BOOST_AUTO_TEST_CASE(letting_go_of_an_answered_call_sends_a_bye_in_its_dialog) {
    on_libre_thread([] {
        Harness h;
        Message invite_sent = h.answered_call();
        h.let_go();
        Message bye = next_request(h.phone, "BYE");
        BOOST_TEST(text_of(bye->ruri) == uri_at(h.phone));
        BOOST_TEST(bye.call_id() == invite_sent.call_id());
        BOOST_TEST(text_of(bye->from.tag) == text_of(invite_sent->from.tag));
        BOOST_TEST(text_of(bye->to.tag) == kCalleeTag);
        BOOST_TEST(bye->cseq.num > invite_sent->cseq.num);
        h.answer(h.phone, bye, 200);
        run_loop_for(50);
        BOOST_TEST(h.endings == 0);
    });
}

BOOST_AUTO_TEST_CASE(letting_go_of_a_ringing_call_cancels_its_invite_and_reports_nothing) {
    on_libre_thread([] {
        Harness h;
        Message invite_sent = h.place_call();
        h.answer(h.phone, invite_sent, 180);
        run_loop_for(50);
        BOOST_TEST_REQUIRE(h.provisionals == 1);

        h.let_go();
        Message cancel = next_request(h.phone, "CANCEL");
        BOOST_TEST(cancel.call_id() == invite_sent.call_id());
        BOOST_TEST(cancel->cseq.num == invite_sent->cseq.num);
        BOOST_TEST(text_of(cancel->cseq.met) == "CANCEL");
        BOOST_TEST(text_of(cancel->via.branch) == text_of(invite_sent->via.branch));
        BOOST_TEST(text_of(cancel->ruri) == text_of(invite_sent->ruri));

        h.answer(h.phone, cancel, 200);
        h.answer(h.phone, invite_sent, 487);
        BOOST_TEST(next_request(h.phone, "ACK")->cseq.num == invite_sent->cseq.num);
        BOOST_TEST(h.provisionals == 1);
        BOOST_TEST(h.answers == 0);
        BOOST_TEST(h.endings == 0);
        BOOST_TEST(no_request_for(h.phone, "BYE", 100));
    });
}

BOOST_AUTO_TEST_CASE(a_final_error_answer_ends_the_call_with_it) {
    on_libre_thread([] {
        Harness h;
        Message invite_sent = h.place_call();
        h.answer(h.phone, invite_sent, 486);
        BOOST_TEST(next_request(h.phone, "ACK")->cseq.num == invite_sent->cseq.num);
        BOOST_TEST(h.endings == 1);
        BOOST_TEST(h.ended_error == 0);
        BOOST_TEST(h.ended_code == 486);
        BOOST_TEST(h.answers == 0);
        BOOST_TEST(h.challenges == 0);
    });
}

BOOST_AUTO_TEST_CASE(a_refused_challenge_ends_the_call_with_the_407) {
    on_libre_thread([] {
        Harness h;
        h.credentials = std::nullopt;
        Message invite_sent = h.place_call();
        h.answer(h.phone, invite_sent, 407, "Proxy-Authenticate: Digest realm=\"elsewhere\", nonce=\"n2\"\r\n");
        BOOST_TEST(next_request(h.phone, "ACK")->cseq.num == invite_sent->cseq.num);
        BOOST_TEST(h.challenges == 1);
        BOOST_TEST(h.endings == 1);
        BOOST_TEST(h.ended_error == 0);
        BOOST_TEST(h.ended_code == 407);
        BOOST_TEST(no_request_for(h.phone, "INVITE", 200));
        BOOST_TEST(h.endings == 1);
    });
}

BOOST_AUTO_TEST_SUITE_END()

// DialogUpdates on the answered call's dialog (RFC 3261 14, RFC 3311, RFC 6337).
BOOST_AUTO_TEST_SUITE(dialog_updates)

const std::string kHold = "v=0\r\no=- 2 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                          "m=audio 40002 RTP/AVP 0\r\na=sendonly\r\n";

BOOST_AUTO_TEST_CASE(a_reinvite_waits_for_the_calls_answer_and_its_contact_becomes_the_target) {
    on_libre_thread([] {
        Harness h;
        Peer moved;  // the phone's new address, given in the re-INVITE's Contact
        Message invite_sent = h.answered_call();
        h.send_in_dialog(h.phone, invite_sent, "INVITE", 1,
                         "Contact: <" + uri_at(moved) + ">\r\nContent-Type: application/sdp\r\n", kHold);
        next_response(h.phone, 100);  // the answer takes a trip to the web thread
        BOOST_TEST_REQUIRE(h.offers.size() == 1u);
        BOOST_TEST(h.offers[0].second == kHold);
        BOOST_TEST(h.updates->busy());
        BOOST_TEST(no_request_for(h.phone, "INVITE", 200));  // and no final answer of its own
        h.updates->answer(h.offers[0].first, 200, kOffer);
        Message ok = next_response(h.phone, 200);
        BOOST_TEST(text_of(ok->cseq.met) == "INVITE");
        BOOST_TEST(ok->cseq.num == 1u);
        BOOST_TEST(ok.body() == kOffer);
        BOOST_TEST(ok.header("Content-Type") == "application/sdp");
        std::string contact = ok.contact_uri();
        BOOST_TEST(contact.find(kContactUser) != std::string::npos, contact);
        BOOST_TEST(contact.find("127.0.0.1:" + std::to_string(h.gateway_port())) != std::string::npos, contact);
        // Until its ACK, the 200 goes again (T1, then 2 T1...).
        Message again = next_response(h.phone, 200);
        BOOST_TEST(again->cseq.num == 1u);
        h.send_in_dialog(h.phone, invite_sent, "ACK", 1);
        run_loop_for(100);
        while (receive_now(h.phone)) {
        }
        BOOST_TEST(no_request_for(h.phone, "INVITE", 1200));  // drained: and no 200 came again either
        BOOST_TEST(!h.updates->busy());
        BOOST_TEST(h.answers_in_ack.empty());  // the re-INVITE had an offer: nothing to read in its ACK
        BOOST_TEST(h.endings == 0);

        // Still up: letting go of it sends the BYE, to the new Contact.
        h.let_go();
        Message bye = next_request(moved, "BYE");
        BOOST_TEST(text_of(bye->ruri) == uri_at(moved));
        BOOST_TEST(bye.call_id() == invite_sent.call_id());
    });
}

BOOST_AUTO_TEST_CASE(a_retransmitted_reinvite_gets_the_200_again) {
    on_libre_thread([] {
        Harness h;
        Message invite_sent = h.answered_call();
        std::string reinvite = h.send_in_dialog(h.phone, invite_sent, "INVITE", 1,
                                                "Contact: <" + uri_at(h.phone) + ">\r\n"
                                                "Content-Type: application/sdp\r\n", kAnswer);
        next_response(h.phone, 100);
        h.send_again(h.phone, reinvite);  // before the answer: the 100 again
        next_response(h.phone, 100);
        h.updates->answer(h.offers.at(0).first, 200, kOffer);
        next_response(h.phone, 200);
        h.send_again(h.phone, reinvite);  // the 200 was lost
        Message again = next_response(h.phone, 200);
        BOOST_TEST(text_of(again->cseq.met) == "INVITE");
        BOOST_TEST(h.offers.size() == 1u);  // one offer, however often it came
    });
}

BOOST_AUTO_TEST_CASE(an_offer_the_call_refuses_gets_its_code_and_the_dialog_goes_on) {
    on_libre_thread([] {
        Harness h;
        Message invite_sent = h.answered_call();
        h.send_in_dialog(h.phone, invite_sent, "INVITE", 1,
                         "Contact: <" + uri_at(h.phone) + ">\r\nContent-Type: application/sdp\r\n", kHold);
        next_response(h.phone, 100);
        h.updates->answer(h.offers.at(0).first, 488, {});
        next_response(h.phone, 488);
        BOOST_TEST(!h.updates->busy());
        BOOST_TEST(h.endings == 0);
    });
}

BOOST_AUTO_TEST_CASE(an_update_without_sdp_is_a_refresh_answered_at_once_one_with_sdp_waits_for_the_call) {
    on_libre_thread([] {
        Harness h;
        Message invite_sent = h.answered_call();
        h.send_in_dialog(h.phone, invite_sent, "UPDATE", 1, "Contact: <" + uri_at(h.phone) + ">\r\n");
        Message refreshed = next_response(h.phone, 200);
        BOOST_TEST(text_of(refreshed->cseq.met) == "UPDATE");
        BOOST_TEST(h.offers.empty());
        h.send_in_dialog(h.phone, invite_sent, "UPDATE", 2,
                         "Contact: <" + uri_at(h.phone) + ">\r\nContent-Type: application/sdp\r\n", kHold);
        BOOST_TEST(no_request_for(h.phone, "UPDATE", 100));
        BOOST_TEST_REQUIRE(h.offers.size() == 1u);
        h.updates->answer(h.offers[0].first, 200, kOffer);
        Message ok = next_response(h.phone, 200);
        BOOST_TEST(text_of(ok->cseq.met) == "UPDATE");
        BOOST_TEST(ok.body() == kOffer);
    });
}

BOOST_AUTO_TEST_CASE(a_reinvite_without_sdp_gets_our_offer_and_its_ack_brings_the_answer) {
    on_libre_thread([] {
        Harness h;
        Message invite_sent = h.answered_call();
        h.send_in_dialog(h.phone, invite_sent, "INVITE", 1, "Contact: <" + uri_at(h.phone) + ">\r\n");
        next_response(h.phone, 100);
        BOOST_TEST_REQUIRE(h.offers.size() == 1u);
        BOOST_TEST(h.offers[0].second.empty());
        h.updates->answer(h.offers[0].first, 200, kOffer);
        next_response(h.phone, 200);
        h.send_in_dialog(h.phone, invite_sent, "ACK", 1, "Content-Type: application/sdp\r\n", kAnswer);
        run_loop_for(100);
        BOOST_TEST_REQUIRE(h.answers_in_ack.size() == 1u);
        BOOST_TEST(h.answers_in_ack[0].first == h.offers[0].first);
        BOOST_TEST(h.answers_in_ack[0].second == kAnswer);
    });
}

BOOST_AUTO_TEST_CASE(glare_a_crossing_reinvite_gets_491_and_ours_goes_again_after_the_phones_491) {
    on_libre_thread([] {
        Harness h;
        Message invite_sent = h.answered_call();
        BOOST_TEST_REQUIRE(h.updates->offer(kHold) == 0);
        Message ours = next_request(h.phone, "INVITE");
        BOOST_TEST(ours.body() == kHold);
        BOOST_TEST(ours->cseq.num > invite_sent->cseq.num);
        BOOST_TEST(h.updates->offer(kHold) == EALREADY);  // one at a time
        // The phone's own re-INVITE crosses ours: 491 (RFC 3261 14.2).
        h.send_in_dialog(h.phone, invite_sent, "INVITE", 1,
                         "Contact: <" + uri_at(h.phone) + ">\r\nContent-Type: application/sdp\r\n", kAnswer);
        next_response(h.phone, 491);
        BOOST_TEST(h.offers.empty());
        // And the phone answers ours 491: ACKed, then sent again 2.1-4 s later with a new CSeq.
        h.answer(h.phone, ours, 491);
        next_request(h.phone, "ACK");
        BOOST_TEST(no_request_for(h.phone, "INVITE", 2000));
        Message again = next_request(h.phone, "INVITE", 3);
        BOOST_TEST(again.body() == kHold);
        BOOST_TEST(again->cseq.num == ours->cseq.num + 1);
        BOOST_TEST(h.update_answers.empty());
        h.answer(h.phone, again, 200, "Contact: <" + uri_at(h.phone) + ">\r\nContent-Type: application/sdp\r\n",
                 kAnswer);
        Message ack = next_request(h.phone, "ACK");
        BOOST_TEST(ack->cseq.num == again->cseq.num);
        BOOST_TEST_REQUIRE(h.update_answers.size() == 1u);
        BOOST_TEST(h.update_answers[0].first == 200);
        BOOST_TEST(h.update_answers[0].second == kAnswer);
        BOOST_TEST(!h.updates->busy());
    });
}

BOOST_AUTO_TEST_CASE(our_reinvite_refused_is_told_with_its_code) {
    on_libre_thread([] {
        Harness h;
        h.answered_call();
        BOOST_TEST_REQUIRE(h.updates->offer(kHold) == 0);
        Message ours = next_request(h.phone, "INVITE");
        h.answer(h.phone, ours, 488);
        next_request(h.phone, "ACK");
        BOOST_TEST_REQUIRE(h.update_answers.size() == 1u);
        BOOST_TEST(h.update_answers[0].first == 488);
        BOOST_TEST(h.endings == 0);
    });
}

BOOST_AUTO_TEST_SUITE_END()
