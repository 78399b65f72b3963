// The ICE-lite responder against Binding requests built with libre's own STUN encoder,
// as a browser sends them: right credentials answered (XOR-MAPPED-ADDRESS, integrity
// with our password, FINGERPRINT), wrong ones 401, missing ones 400, a controlled peer
// 487, no FINGERPRINT dropped; USE-CANDIDATE nominates the address.
#include "media/ice_lite_responder.hpp"

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>

#include <re.h>

using sylk::media::IceLiteResponder;
using sylk::media::RePtr;
using Outcome = IceLiteResponder::Outcome;

namespace {

const std::string kOurUfrag = "gw12";
const std::string kOurPwd = "gatewaypasswordgatewaypw";
const std::string kTheirUfrag = "br34";

struct Request {
    std::string username = kOurUfrag + ":" + kTheirUfrag;
    std::string key = kOurPwd;
    bool integrity = true;
    bool fingerprint = true;
    bool use_candidate = false;
    bool controlled = false;
    bool with_username = true;
};

RePtr<struct mbuf> encode(const Request &r) {
    RePtr<struct mbuf> mb(mbuf_alloc(512));
    std::uint8_t tid[STUN_TID_SIZE];
    for (std::size_t i = 0; i < sizeof tid; ++i) tid[i] = static_cast<std::uint8_t>(i + 1);
    std::uint32_t priority = 1853824767;
    std::uint64_t tiebreaker = 0x1122334455667788ull;
    int err = stun_msg_encode(mb.get(), STUN_METHOD_BINDING, STUN_CLASS_REQUEST, tid, nullptr,
                              r.integrity ? reinterpret_cast<const std::uint8_t *>(r.key.data()) : nullptr,
                              r.integrity ? r.key.size() : 0, r.fingerprint, 0x20, 4,
                              STUN_ATTR_USERNAME, r.with_username ? r.username.c_str() : nullptr,
                              STUN_ATTR_PRIORITY, &priority,
                              r.controlled ? STUN_ATTR_CONTROLLED : STUN_ATTR_CONTROLLING, &tiebreaker,
                              STUN_ATTR_USE_CAND, r.use_candidate ? &priority : nullptr);
    BOOST_TEST_REQUIRE(err == 0);
    mb->pos = 0;
    return mb;
}

struct sa address(const char *ip, std::uint16_t port) {
    struct sa sa;
    sa_set_str(&sa, ip, port);
    return sa;
}

RePtr<struct stun_msg> decode(struct mbuf *reply) {
    struct stun_msg *msg = nullptr;
    BOOST_TEST_REQUIRE(stun_msg_decode(&msg, reply, nullptr) == 0);
    return RePtr<struct stun_msg>(msg);
}

std::uint16_t error_code(const struct stun_msg *msg) {
    const struct stun_attr *attr = stun_msg_attr(msg, STUN_ATTR_ERR_CODE);
    return attr ? attr->v.err_code.code : 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(media_ice_lite)

BOOST_AUTO_TEST_CASE(a_valid_check_is_answered_with_the_mapped_address) {
    IceLiteResponder ice(kOurUfrag, kOurPwd);
    ice.set_remote_ufrag(kTheirUfrag);
    auto source = address("192.0.2.7", 40404);
    RePtr<struct mbuf> reply;
    auto request = encode({});
    BOOST_TEST((ice.handle(source, request.get(), 1000, reply) == Outcome::answered));
    BOOST_TEST_REQUIRE(static_cast<bool>(reply));
    auto answer = decode(reply.get());
    BOOST_TEST(stun_msg_class(answer.get()) == STUN_CLASS_SUCCESS_RESP);
    BOOST_TEST(stun_msg_chk_fingerprint(answer.get()) == 0);
    BOOST_TEST(stun_msg_chk_mi(answer.get(), reinterpret_cast<const std::uint8_t *>(kOurPwd.data()), kOurPwd.size()) == 0);
    const struct stun_attr *mapped = stun_msg_attr(answer.get(), STUN_ATTR_XOR_MAPPED_ADDR);
    BOOST_TEST_REQUIRE(mapped != nullptr);
    BOOST_TEST(sa_cmp(&mapped->v.xor_mapped_addr, &source, SA_ALL));
    BOOST_TEST(std::memcmp(stun_msg_tid(answer.get()), "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12) == 0);
    BOOST_TEST(ice.is_checked(source));
    BOOST_TEST(!ice.nominated());
    BOOST_TEST(ice.last_check_ms().value_or(0) == 1000u);
    auto browser = ice.browser_address();
    BOOST_TEST_REQUIRE(browser.has_value());
    BOOST_TEST(sa_cmp(&*browser, &source, SA_ALL));
}

BOOST_AUTO_TEST_CASE(use_candidate_nominates_the_address) {
    IceLiteResponder ice(kOurUfrag, kOurPwd);
    ice.set_remote_ufrag(kTheirUfrag);
    auto first = address("192.0.2.7", 40404), nominated = address("198.51.100.9", 5000);
    RePtr<struct mbuf> reply;
    Request request;
    request.use_candidate = true;
    auto nominating = encode(request), plain = encode({});
    BOOST_TEST((ice.handle(nominated, nominating.get(), 10, reply) == Outcome::answered));
    BOOST_TEST((ice.handle(first, plain.get(), 20, reply) == Outcome::answered));
    BOOST_TEST(ice.nominated());
    auto browser = ice.browser_address();  // a later plain check does not move media
    BOOST_TEST_REQUIRE(browser.has_value());
    BOOST_TEST(sa_cmp(&*browser, &nominated, SA_ALL));
}

BOOST_AUTO_TEST_CASE(wrong_password_or_username_gets_401_without_integrity) {
    auto source = address("192.0.2.7", 40404);
    for (const auto &request : {Request{kOurUfrag + ":" + kTheirUfrag, "wrong-password-wrong-pw"},
                                Request{"other:" + kTheirUfrag, kOurPwd}, Request{kOurUfrag + ":other", kOurPwd},
                                Request{kOurUfrag, kOurPwd}}) {
        BOOST_TEST_CONTEXT(request.username << " / " << request.key) {
            IceLiteResponder ice(kOurUfrag, kOurPwd);
            ice.set_remote_ufrag(kTheirUfrag);
            RePtr<struct mbuf> reply;
            BOOST_TEST((ice.handle(source, encode(request).get(), 1, reply) == Outcome::rejected));
            BOOST_TEST_REQUIRE(static_cast<bool>(reply));
            auto answer = decode(reply.get());
            BOOST_TEST(stun_msg_class(answer.get()) == STUN_CLASS_ERROR_RESP);
            BOOST_TEST(error_code(answer.get()) == 401);
            BOOST_TEST(stun_msg_attr(answer.get(), STUN_ATTR_MSG_INTEGRITY) == nullptr);
            BOOST_TEST(!ice.is_checked(source));
            BOOST_TEST(!ice.last_check_ms().has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(their_ufrag_is_not_checked_before_their_sdp) {
    IceLiteResponder ice(kOurUfrag, kOurPwd);  // we offered; the browser checks before its answer arrives
    RePtr<struct mbuf> reply;
    BOOST_TEST((ice.handle(address("192.0.2.7", 1), encode({}).get(), 1, reply) == Outcome::answered));
}

BOOST_AUTO_TEST_CASE(missing_username_or_integrity_gets_400) {
    Request no_username;
    no_username.with_username = false;
    Request no_integrity;
    no_integrity.integrity = false;
    for (const auto &request : {no_username, no_integrity}) {
        IceLiteResponder ice(kOurUfrag, kOurPwd);
        RePtr<struct mbuf> reply;
        BOOST_TEST((ice.handle(address("192.0.2.7", 1), encode(request).get(), 1, reply) == Outcome::rejected));
        BOOST_TEST_REQUIRE(static_cast<bool>(reply));
        BOOST_TEST(error_code(decode(reply.get()).get()) == 400);
    }
}

BOOST_AUTO_TEST_CASE(a_controlled_peer_gets_487) {
    IceLiteResponder ice(kOurUfrag, kOurPwd);
    Request request;
    request.controlled = true;
    RePtr<struct mbuf> reply;
    BOOST_TEST((ice.handle(address("192.0.2.7", 1), encode(request).get(), 1, reply) == Outcome::rejected));
    BOOST_TEST_REQUIRE(static_cast<bool>(reply));
    auto answer = decode(reply.get());
    BOOST_TEST(error_code(answer.get()) == 487);
    BOOST_TEST(stun_msg_chk_mi(answer.get(), reinterpret_cast<const std::uint8_t *>(kOurPwd.data()), kOurPwd.size()) == 0);
}

BOOST_AUTO_TEST_CASE(no_fingerprint_or_not_stun_is_dropped) {
    IceLiteResponder ice(kOurUfrag, kOurPwd);
    Request request;
    request.fingerprint = false;
    RePtr<struct mbuf> reply;
    BOOST_TEST((ice.handle(address("192.0.2.7", 1), encode(request).get(), 1, reply) == Outcome::dropped));
    BOOST_TEST(!reply);
    RePtr<struct mbuf> junk(mbuf_alloc(64));
    mbuf_write_str(junk.get(), "\x01\x01 this is not a STUN message at all");
    junk->pos = 0;
    BOOST_TEST((ice.handle(address("192.0.2.7", 1), junk.get(), 1, reply) == Outcome::dropped));
    BOOST_TEST(!reply);
    BOOST_TEST(!ice.last_check_ms().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
