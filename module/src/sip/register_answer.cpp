#include "sip/register_answer.hpp"

#include "sip/sip_text.hpp"

#include <re.h>

namespace sylk::sip {

namespace {

struct ContactSearch {
    struct pl ours;
    std::optional<std::uint32_t> expires;
};

// Stops at the first Contact that is ours; takes its expires parameter if it has one.
bool find_our_contact(const struct sip_hdr *header, const struct sip_msg *, void *arg) {
    auto *search = static_cast<ContactSearch *>(arg);
    struct sip_addr contact;
    if (sip_addr_decode(&contact, &header->val) || pl_cmp(&contact.auri, &search->ours)) return false;
    struct pl expires;
    if (!msg_param_decode(&contact.params, "expires", &expires)) search->expires = pl_u32(&expires);
    return true;
}

}  // namespace

RegisterAnswer read_register_answer(const struct sip_msg &message, std::string_view contact_uri) {
    RegisterAnswer answer;
    answer.status = message.scode;
    answer.reason = pl_text(message.reason);

    if (pl_isset(&message.expires)) answer.granted = pl_u32(&message.expires);
    ContactSearch search{{contact_uri.data(), contact_uri.size()}, std::nullopt};
    sip_msg_hdr_apply(&message, true, SIP_HDR_CONTACT, find_our_contact, &search);
    if (search.expires) answer.granted = search.expires;

    if (const struct sip_hdr *min_expires = sip_msg_hdr(&message, SIP_HDR_MIN_EXPIRES))
        answer.min_expires = pl_u32(&min_expires->val);

    if (message.scode == 401 || message.scode == 407) {
        answer.challenge_from_proxy = message.scode == 407;
        const struct sip_hdr *header =
            sip_msg_hdr(&message, answer.challenge_from_proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE);
        if (header) answer.challenge = parse_digest_challenge(std::string_view(header->val.p, header->val.l));
    }
    return answer;
}

}  // namespace sylk::sip
