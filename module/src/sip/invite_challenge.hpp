// What a call reads from a 401/407 to its INVITE, and the credentials header it sends
// back: the first WWW-Authenticate (401) or Proxy-Authenticate (407) that can be
// answered from the HA1, and whether its realm is the account's own (a hostile callee
// or hop could ask for a response to crack offline). Pure, so it can be fuzzed from raw
// bytes (fuzz/sip_invite_response); SipCall keeps the decisions (one retry, one more
// for a stale nonce).
#pragma once

#include "sip/call_types.hpp"
#include "sip/digest.hpp"

#include <optional>
#include <string>

struct sip_msg;

namespace sylk::sip {

struct InviteChallenge {
    DigestChallenge challenge;
    bool from_proxy = false;          // a 407: answered with Proxy-Authorization
    bool realm_is_accounts = false;   // the account's domain or one of spec.realms
};

// Nothing for an answer that is not 401/407, lacks the header, or whose challenge
// cannot be answered from an MD5 HA1.
std::optional<InviteChallenge> read_invite_challenge(const struct sip_msg &answer, const OutgoingCallSpec &spec);

// The whole header line: "Authorization: Digest ...\r\n" (or Proxy-Authorization).
std::string credentials_header(const InviteChallenge &challenge, const DigestInput &input);

}  // namespace sylk::sip
