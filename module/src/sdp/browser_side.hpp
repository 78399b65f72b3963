// The browser's SDP (WebRTC: ICE, DTLS-SRTP, rtcp-mux, BUNDLE) read into a media plan,
// and the gateway's own WebRTC SDP written from one. The gateway is ICE-lite with one
// candidate, answers as DTLS server (setup:passive) and offers actpass, so that it is
// the DTLS server in both directions.
#pragma once

#include "sdp/media_plan.hpp"
#include "sdp/session_description.hpp"

#include <string>
#include <variant>
#include <vector>

namespace sylk::sdp {

struct BrowserDescription {
    std::vector<MediaLine> lines;  // every m-line, in order
    WebRtcParameters peer;
};

// A browser's offer (outgoing call). Error text when it cannot be bridged at all:
// no ICE credentials or fingerprint, or no audio/video line with a codec to carry.
std::variant<BrowserDescription, std::string> read_browser_offer(const SessionDescription &offer);

// A browser's answer to write_browser_offer(`offered`) (incoming call): one line per
// offered line, with the codecs it kept under the offered numbers.
std::variant<BrowserDescription, std::string> read_browser_answer(const SessionDescription &answer,
                                                                  const std::vector<MediaLine> &offered);

// The gateway's offer to a browser for the lines a phone offered.
SessionDescription write_browser_offer(const std::vector<MediaLine> &lines, const GatewayWebRtc &gateway,
                                       const std::string &session_id, unsigned version = 1);

// The gateway's answer to a browser's offer: `answered` has one line per offered line
// (bridged=false refuses it with port 0, and it leaves the BUNDLE group).
SessionDescription write_browser_answer(const std::vector<MediaLine> &offered, const std::vector<MediaLine> &answered,
                                        const GatewayWebRtc &gateway, const std::string &session_id,
                                        unsigned version = 1);  // o= version: one more for a new answer

}  // namespace sylk::sdp
