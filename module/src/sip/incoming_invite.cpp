#include "sip/incoming_invite.hpp"

#include "sip/sip_text.hpp"

#include <re.h>

namespace sylk::sip {

std::string invite_contact_user(const struct sip_msg &invite) { return pl_text(invite.uri.user); }

IncomingCaller describe_incoming_invite(const struct sip_msg &invite) {
    IncomingCaller caller;
    caller.originator = pl_text(invite.from.uri.user) + "@" + pl_text(invite.from.uri.host);
    if (pl_isset(&invite.from.dname)) caller.display_name = pl_text(invite.from.dname);
    caller.sdp = message_body(&invite);
    return caller;
}

}  // namespace sylk::sip
