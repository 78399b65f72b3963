// A SIP phone's SDP (plain RTP/AVP, one port pair per m-line) read into a media plan,
// and the gateway's own plain SDP written from one. Lines the phone never sees
// (a browser's data channel, a line nothing can carry) are kept out of the offer and
// come back refused, so phones get the simplest offer that carries the call.
#pragma once

#include "sdp/media_plan.hpp"
#include "sdp/session_description.hpp"

#include <string>
#include <variant>
#include <vector>

namespace sylk::sdp {

struct PhoneDescription {
    std::vector<MediaLine> lines;  // indexed like the browser's lines
    std::vector<RtpPeer> peers;    // where the phone receives each line (port 0: none)
    std::string origin;            // its o= line: the same one again is a session refresh
};

// A phone's offer (incoming call); mids "0", "1"... are given to its lines. Error text
// when no line can be bridged (no audio or video over RTP/AVP, SDES-only media...).
std::variant<PhoneDescription, std::string> read_phone_offer(const SessionDescription &offer);

// A phone's answer to write_phone_offer(`offered`): one answered line per offered line
// (lines the answer leaves out at its end are refused).
std::variant<PhoneDescription, std::string> read_phone_answer(const SessionDescription &answer,
                                                              const std::vector<MediaLine> &offered);

// The gateway's offer to a phone: the bridged lines of `lines`, RTP/AVP, at
// gateway.address and gateway.ports[i] for line i.
// `version`: the o= line's, one more for each description that differs from the last
// (RFC 3264 8).
SessionDescription write_phone_offer(const std::vector<MediaLine> &lines, const GatewayRtp &gateway,
                                     const std::string &session_id, unsigned version = 1);

// One m-line per line, in order: bridged ones (RTP/AVP, at gateway.ports[i], with
// their direction), the others refused with port 0. A later offer or answer in a dialog,
// whose m-lines are those of the first offer (RFC 3264 8).
SessionDescription write_phone_lines(const std::vector<MediaLine> &lines, const GatewayRtp &gateway,
                                     const std::string &session_id, unsigned version);

// The gateway's answer to a phone's offer: one m-line per offered line, refused ones
// with port 0.
SessionDescription write_phone_answer(const std::vector<MediaLine> &offered, const std::vector<MediaLine> &answered,
                                      const GatewayRtp &gateway, const std::string &session_id,
                                      unsigned version = 1);

}  // namespace sylk::sdp
