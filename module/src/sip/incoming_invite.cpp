#include "sip/incoming_invite.hpp"

#include "sip/sip_text.hpp"

#include <re.h>

namespace sylk::sip {

HeaderList message_headers(const struct sip_msg &message) {
    HeaderList headers;
    for (struct le *element = message.hdrl.head; element && headers.size() < 64; element = element->next) {
        const auto *header = static_cast<const struct sip_hdr *>(element->data);
        std::string value = pl_text(header->val);
        if (value.size() > 1024) value.resize(1024);
        headers.emplace_back(pl_text(header->name), std::move(value));
    }
    return headers;
}

std::string invite_contact_user(const struct sip_msg &invite) { return pl_text(invite.uri.user); }

IncomingCaller describe_incoming_invite(const struct sip_msg &invite) {
    IncomingCaller caller;
    caller.originator = pl_text(invite.from.uri.user) + "@" + pl_text(invite.from.uri.host);
    if (pl_isset(&invite.from.dname)) caller.display_name = pl_text(invite.from.dname);
    caller.sdp = message_body(&invite);
    caller.call_id = pl_text(invite.callid);
    caller.headers = message_headers(invite);
    return caller;
}

}  // namespace sylk::sip
