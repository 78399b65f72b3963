// Which INVITE challenges the gateway answers (the review's F10): only those in the
// account's own realms, so that a hostile callee or hop gets no response to crack.
#include "sip/invite_challenge.hpp"

#include <re.h>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

using namespace sylk;

namespace {

struct MessageFree {
    void operator()(struct sip_msg *message) const { mem_deref(message); }
};

std::unique_ptr<struct sip_msg, MessageFree> answer_with(const std::string &code, const std::string &header) {
    std::string text = "SIP/2.0 " + code + "\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
                       "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.net>;tag=2\r\n"
                       "Call-ID: c1\r\nCSeq: 1 INVITE\r\n" + header + "\r\nContent-Length: 0\r\n\r\n";
    struct mbuf *buffer = mbuf_alloc(text.size());
    mbuf_write_str(buffer, text.c_str());
    buffer->pos = 0;
    struct sip_msg *message = nullptr;
    BOOST_REQUIRE(sip_msg_decode(&message, buffer) == 0);
    mem_deref(buffer);
    return std::unique_ptr<struct sip_msg, MessageFree>(message);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(invite_challenge)

BOOST_AUTO_TEST_CASE(only_the_accounts_realms_are_answered) {
    sip::OutgoingCallSpec spec;
    spec.user = "alice";
    spec.domain = "example.com";
    spec.realms = {"registrar.example.com"};
    auto own = answer_with("407 Proxy Authentication Required",
                           R"(Proxy-Authenticate: Digest realm="example.com", nonce="n1", qop="auth")");
    auto read = sip::read_invite_challenge(*own, spec);
    BOOST_TEST_REQUIRE(read.has_value());
    BOOST_TEST(read->realm_is_accounts);
    BOOST_TEST(read->from_proxy);

    auto registrars = answer_with("401 Unauthorized", R"(WWW-Authenticate: Digest realm="registrar.example.com", nonce="n2")");
    BOOST_TEST(sip::read_invite_challenge(*registrars, spec)->realm_is_accounts);

    auto hostile = answer_with("401 Unauthorized", R"(WWW-Authenticate: Digest realm="evil.example", nonce="n3")");
    auto read_hostile = sip::read_invite_challenge(*hostile, spec);
    BOOST_TEST_REQUIRE(read_hostile.has_value());
    BOOST_TEST(!read_hostile->realm_is_accounts);  // SipCall then ends the call with the 401, unanswered
}

BOOST_AUTO_TEST_SUITE_END()
