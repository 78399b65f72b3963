// From a call's SDP plan (sdp/) to what the relay is set up with (media/): the one
// place where the two vocabularies meet, so that neither speaks the other's. Pure
// functions; no I/O.
#pragma once

#include "media/media_engine.hpp"
#include "sdp/media_plan.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace sylk::call {

// How many of `lines` the relay carries (each takes a phone-side port pair).
std::size_t count_bridged(const std::vector<sdp::MediaLine> &lines);

// The media lines of a session: one per bridged line of the offer, always in the same
// positions (the media engine matches update() to open() by position). `answered`,
// once known, gives each line's payload type pairs; a line the answer refused keeps
// its place with no phone address, so nothing is relayed on it.
std::vector<media::BridgedLine> bridged_lines(const std::vector<sdp::MediaLine> &offered,
                                              const std::vector<sdp::MediaLine> *answered,
                                              const std::vector<sdp::RtpPeer> &peers,
                                              const media::PortReservation &ports);

media::BrowserParameters browser_parameters(const sdp::WebRtcParameters &browser);

// The gateway's plain RTP side for SDP: phone-side ports indexed like the plan's lines
// (0 for a line not bridged).
sdp::GatewayRtp gateway_rtp(const std::string &address, const std::vector<sdp::MediaLine> &lines,
                            const media::PortReservation &ports);

// The gateway's WebRTC side for SDP: its media address, the session's browser port and
// ICE credentials, the engine's DTLS fingerprint.
sdp::GatewayWebRtc gateway_webrtc(const media::MediaEngine &media, const media::MediaSessionSpec &spec);

// c=0.0.0.0 or :: (RFC 2543 hold): the SDP names no destination.
bool is_unspecified(const std::string &address);

// ICE credentials of our side: ufrag at least 4 characters, pwd at least 22 (RFC 8839).
std::string random_ice_token(std::size_t length);

}  // namespace sylk::call
