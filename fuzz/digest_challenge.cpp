// A registrar's WWW-Authenticate / Proxy-Authenticate value -> DigestChallenge
// (sip::parse_digest_challenge), and the credentials computed from what parses
// (sip::authorization_value).
#include "check.hpp"

#include "sip/digest.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace sylk::sip;

namespace {

bool is_lower_hex(const std::string &text, std::size_t length) {
    if (text.size() != length) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    auto challenge = parse_digest_challenge(std::string_view(reinterpret_cast<const char *>(data), size));
    if (!challenge) return 0;
    FUZZ_CHECK(!challenge->realm.empty() || !challenge->nonce.empty());
    FUZZ_CHECK(!challenge->offers_qop_auth || challenge->has_qop);

    DigestInput input{"alice", "0cc175b9c0f1b6a831c399e269772661", "REGISTER", "sip:example.com", 1, "0a4f113b"};
    FUZZ_CHECK(is_lower_hex(digest_response(*challenge, input), 32));
    std::string credentials = authorization_value(*challenge, input);
    if (!can_answer(*challenge)) return 0;  // registration never answers those

    // What registration sends must say back the challenge's values exactly: read as a
    // header again, realm, nonce, opaque, algorithm and qop come out unchanged.
    auto echoed = parse_digest_challenge(credentials);
    FUZZ_CHECK(echoed);
    FUZZ_CHECK(echoed->realm == challenge->realm);
    FUZZ_CHECK(echoed->nonce == challenge->nonce);
    FUZZ_CHECK(echoed->opaque == challenge->opaque);
    FUZZ_CHECK(echoed->algorithm == challenge->algorithm);
    FUZZ_CHECK(echoed->offers_qop_auth == challenge->offers_qop_auth);
    return 0;
}
