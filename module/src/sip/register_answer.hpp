// What registration reads from the registrar's final answer to a REGISTER, as plain
// values: the status line, the expiry granted (our Contact's expires parameter or the
// Expires header), Min-Expires and the digest challenge. Pure: reads the decoded
// message and nothing else, so it can be fuzzed from raw bytes (fuzz/register_answer).
#pragma once

#include "sip/digest.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sip_msg;

namespace sylk::sip {

struct RegisterAnswer {
    std::uint16_t status = 0;
    std::string reason;  // the reason phrase, as sent
    // The expires parameter of our contact (matched by URI) if it has one, else the
    // Expires header; unset when the answer has neither (the asked value stands).
    std::optional<std::uint32_t> granted;
    std::uint32_t min_expires = 0;  // Min-Expires; 0 when absent or not a number
    // 401: the first WWW-Authenticate; 407: the first Proxy-Authenticate. Unset for other
    // answers, or when the header is missing or is not a Digest challenge.
    std::optional<DigestChallenge> challenge;
    bool challenge_from_proxy = false;  // a 407: answer with Proxy-Authorization
};

// `contact_uri` is the URI our REGISTER put in its Contact, compared as it was sent.
RegisterAnswer read_register_answer(const struct sip_msg &message, std::string_view contact_uri);

}  // namespace sylk::sip
