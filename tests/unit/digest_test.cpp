#include "sip/digest.hpp"

#include <boost/test/unit_test.hpp>

using namespace sylk::sip;

BOOST_AUTO_TEST_SUITE(digest)

// RFC 2617 section 3.5: Mufasa / "Circle Of Life" / testrealm@host.com.
BOOST_AUTO_TEST_CASE(rfc2617_example) {
    std::string ha1 = md5_hex("Mufasa:testrealm@host.com:Circle Of Life");
    BOOST_TEST(ha1 == "939e7578ed9e3c518a452acee763bce9");
    auto challenge = parse_digest_challenge(
        R"(Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41")");
    BOOST_REQUIRE(challenge);
    BOOST_TEST(challenge->offers_qop_auth);
    BOOST_TEST(can_answer(*challenge));
    DigestInput input{"Mufasa", ha1, "GET", "/dir/index.html", 1, "0a4f113b"};
    BOOST_TEST(digest_response(*challenge, input) == "6629fae49393a05397450978507c4ef1");
    std::string header = authorization_value(*challenge, input);
    BOOST_TEST(header.find("nc=00000001") != std::string::npos);
    BOOST_TEST(header.find(R"(opaque="5ccc069c403ebaf9f0171e9517f40e41")") != std::string::npos);
}

// RFC 7616 section 3.9.1, the MD5 variant.
BOOST_AUTO_TEST_CASE(rfc7616_md5_example) {
    std::string ha1 = md5_hex("Mufasa:http-auth@example.org:Circle of Life");
    auto challenge = parse_digest_challenge(
        "Digest\n realm=\"http-auth@example.org\",\n qop=\"auth, auth-int\",\n algorithm=MD5,\n"
        " nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\n opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
    BOOST_REQUIRE(challenge);
    DigestInput input{"Mufasa", ha1, "GET", "/dir/index.html", 1, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"};
    BOOST_TEST(digest_response(*challenge, input) == "8ca523f5e9506fed4657c9700eebdbec");
}

// RFC 2069 style (no qop): response = MD5(HA1:nonce:HA2).
BOOST_AUTO_TEST_CASE(no_qop) {
    std::string ha1 = md5_hex("alice:example.com:secret");
    auto challenge = parse_digest_challenge(R"(Digest realm="example.com", nonce="abc")");
    BOOST_REQUIRE(challenge);
    BOOST_TEST(!challenge->offers_qop_auth);
    DigestInput input{"alice", ha1, "REGISTER", "sip:example.com", 1, "ignored"};
    BOOST_TEST(digest_response(*challenge, input) ==
               md5_hex(ha1 + ":abc:" + md5_hex("REGISTER:sip:example.com")));
    BOOST_TEST(authorization_value(*challenge, input).find("qop") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(nonce_count_is_eight_hex_digits) {
    auto challenge = parse_digest_challenge(R"(Digest realm="r", nonce="n", qop="auth")");
    BOOST_REQUIRE(challenge);
    DigestInput input{"u", md5_hex("u:r:p"), "REGISTER", "sip:r", 0x1a, "c"};
    BOOST_TEST(authorization_value(*challenge, input).find("nc=0000001a") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stale_and_unusable_challenges) {
    auto stale = parse_digest_challenge(R"(Digest realm="r", nonce="n2", stale=TRUE, algorithm=MD5)");
    BOOST_REQUIRE(stale);
    BOOST_TEST(stale->stale);
    auto sha = parse_digest_challenge(R"(Digest realm="r", nonce="n", algorithm=SHA-256)");
    BOOST_REQUIRE(sha);
    BOOST_TEST(!can_answer(*sha));  // an MD5 HA1 cannot answer SHA-256
    auto int_only = parse_digest_challenge(R"(Digest realm="r", nonce="n", qop="auth-int")");
    BOOST_TEST(!can_answer(*int_only));
    BOOST_TEST(!parse_digest_challenge(R"(Basic realm="r")"));
    BOOST_TEST(!parse_digest_challenge(R"(Digest realm="unterminated)"));
}

// Found by fuzz/digest_challenge: a realm or nonce holding an escaped quote or backslash
// went back unescaped, so the registrar read another realm (or a broken header).
BOOST_AUTO_TEST_CASE(quoted_values_are_escaped_in_the_credentials) {
    auto challenge = parse_digest_challenge(R"(Digest realm="say \"hi\"", nonce="a\\b", opaque="o\"", qop="auth")");
    BOOST_REQUIRE(challenge);
    BOOST_TEST(challenge->realm == R"(say "hi")");
    BOOST_TEST(challenge->nonce == R"(a\b)");
    DigestInput input{"alice", md5_hex(R"(alice:say "hi":secret)"), "REGISTER", "sip:example.com", 1, "c"};
    std::string header = authorization_value(*challenge, input);
    BOOST_TEST(header.find(R"(realm="say \"hi\"")") != std::string::npos);
    BOOST_TEST(header.find(R"(nonce="a\\b")") != std::string::npos);
    auto echoed = parse_digest_challenge(header);  // read back as the registrar would
    BOOST_REQUIRE(echoed);
    BOOST_TEST(echoed->realm == challenge->realm);
    BOOST_TEST(echoed->nonce == challenge->nonce);
    BOOST_TEST(echoed->opaque == challenge->opaque);
}

// Found by fuzz/sip_invite_response: a bare CR (or LF, or NUL) inside a callee's realm,
// nonce or opaque went back into our INVITE's Authorization line, where some parsers
// end the line and read the rest as a header of the callee's choosing.
BOOST_AUTO_TEST_CASE(control_characters_in_a_challenge_are_refused) {
    BOOST_TEST(!parse_digest_challenge("Digest realm=\"example.com\", nonce=\"n\rP-Asserted-Identity: x\""));
    BOOST_TEST(!parse_digest_challenge("Digest realm=\"example.com\", nonce=\"n\nX: y\""));
    BOOST_TEST(!parse_digest_challenge(std::string("Digest realm=\"exa\0mple.com\", nonce=\"n\"", 38)));
    BOOST_TEST(!parse_digest_challenge("Digest realm=\"example.com\", nonce=n, opaque=o\x7f"));
    // A fold is whitespace, inside a quoted string too.
    auto folded = parse_digest_challenge("Digest realm=\"example.com\",\r\n nonce=\"a\r\n\tb\"");
    BOOST_REQUIRE(folded);
    BOOST_TEST(folded->nonce == "a\r\n\tb");
}

BOOST_AUTO_TEST_SUITE_END()
