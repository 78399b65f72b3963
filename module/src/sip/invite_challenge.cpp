#include "sip/invite_challenge.hpp"

#include <re.h>

#include <algorithm>
#include <string_view>

namespace sylk::sip {

std::optional<InviteChallenge> read_invite_challenge(const struct sip_msg &answer, const OutgoingCallSpec &spec) {
    if (answer.scode != 401 && answer.scode != 407) return std::nullopt;
    InviteChallenge read;
    read.from_proxy = answer.scode == 407;
    const struct sip_hdr *header =
        sip_msg_hdr(&answer, read.from_proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE);
    auto challenge = header ? parse_digest_challenge(std::string_view(header->val.p, header->val.l)) : std::nullopt;
    if (!challenge || !can_answer(*challenge)) return std::nullopt;
    read.challenge = std::move(*challenge);
    read.realm_is_accounts = read.challenge.realm == spec.domain ||
                             std::find(spec.realms.begin(), spec.realms.end(), read.challenge.realm) != spec.realms.end();
    return read;
}

std::string credentials_header(const InviteChallenge &challenge, const DigestInput &input) {
    return std::string(challenge.from_proxy ? "Proxy-Authorization: " : "Authorization: ") +
           authorization_value(challenge.challenge, input) + "\r\n";
}

}  // namespace sylk::sip
