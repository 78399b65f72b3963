// HTTP digest authentication (RFC 2617 / RFC 7616, MD5) computed from the HA1 alone:
// the gateway never knows the plain password, so libre's own sip_auth (which wants
// it) cannot be used.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sylk::sip {

struct DigestChallenge {
    std::string realm;
    std::string nonce;
    std::string opaque;
    std::string algorithm;  // empty means MD5
    bool offers_qop_auth = false;
    bool has_qop = false;   // a qop was offered at all (even if not "auth")
    bool stale = false;
};

// Parses the value of a WWW-Authenticate or Proxy-Authenticate header.
// Returns nothing for a non-Digest scheme or a challenge without realm or nonce.
std::optional<DigestChallenge> parse_digest_challenge(std::string_view header_value);

// Whether a response can be computed from an MD5 HA1 (MD5 or MD5-sess; "auth" or no qop).
bool can_answer(const DigestChallenge &challenge);

std::string md5_hex(std::string_view text);

// Owns its strings: callers build it from temporaries (found the hard way with views).
struct DigestInput {
    std::string username;
    std::string ha1;  // 32 lowercase hex
    std::string method;
    std::string uri;
    std::uint32_t nonce_count = 1;
    std::string cnonce;
};

// The "response" value: MD5(HA1:nonce:nc:cnonce:qop:HA2) with qop=auth, or
// MD5(HA1:nonce:HA2) without qop. MD5-sess first turns HA1 into MD5(HA1:nonce:cnonce).
std::string digest_response(const DigestChallenge &challenge, const DigestInput &input);

// The full credentials header value ("Digest username=..., response=...").
std::string authorization_value(const DigestChallenge &challenge, const DigestInput &input);

}  // namespace sylk::sip
