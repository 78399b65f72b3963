// What call signalling needs from media: one MediaSession per call, relaying between
// the browser's transport (ICE-lite, DTLS-SRTP, rtcp-mux, BUNDLE: one UDP port, which
// the sessions of a media worker share) and
// the phone's plain RTP (one even/odd port pair per bridged m-line).
//
// Threads: media runs on libre loops of its own (one per media worker thread); each
// session is pinned to one worker for its whole life, and packets never cross
// threads. The methods below may be called from any thread: they reserve ports
// synchronously and post everything else to the session's worker (loop::LoopInbox).
// What a session has to say comes back through MediaListener, on its worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sylk::media {

using MediaSessionId = std::uint64_t;

// Where the phone receives one line's RTP (RTCP on port + 1), as its SDP said.
struct RtpPeer {
    std::string address;
    std::uint16_t port = 0;  // 0: nowhere (refused line, or not known yet)
    // The address is inside a network the gateway may not send to (a phone behind NAT
    // shows its private address): nothing goes there; the phone's first packets say
    // where it really is (SourceLatch), and media goes there.
    bool learn_only = false;
    // RFC 3264 direction, as the phone's last offer or answer settled it. `receives`
    // false (it said sendonly or inactive: on hold): no RTP goes to it (RTCP still does).
    // `sends` false (recvonly or inactive): its silence is no RTP timeout.
    bool receives = true;
    bool sends = true;
};

// One codec's payload type number on each side of a line (the relay rewrites them).
struct PayloadTypePair {
    std::uint8_t browser = 0;
    std::uint8_t phone = 0;
    std::uint32_t clock_rate = 0;  // RTP timestamp units per second, for jitter at hang-up
    bool telephone_event = false;  // RFC 4733: the phone's digits on it are reported (MediaEvent::dtmf)
};

// What the browser's SDP says of its ICE and DTLS: whom to accept checks and a
// handshake from.
struct BrowserParameters {
    std::string ice_ufrag;
    std::string ice_pwd;
    std::string fingerprint_algorithm;  // "sha-256"
    std::string fingerprint;            // "AB:CD:..."
    std::string setup;                  // "actpass", "active", "passive"
};

// Ports held for one session until it is closed.
struct PortReservation {
    std::uint16_t browser_port = 0;          // the ICE-lite candidate: the worker's, shared (RTP and RTCP, muxed)
    std::vector<std::uint16_t> phone_ports;  // one even RTP port per bridged line (RTCP = +1)
};

// One m-line carried on both sides.
struct BridgedLine {
    std::string kind;  // "audio" or "video"
    std::vector<PayloadTypePair> payload_types;  // which browser type is which phone type
    std::uint16_t phone_port = 0;  // ours, towards the phone (from the reservation)
    RtpPeer phone;                 // where the phone receives; port 0 until its SDP is known
};

struct MediaSessionSpec {
    MediaSessionId id = 0;
    PortReservation ports;
    std::string local_ice_ufrag;  // ours, as written in the browser-side SDP
    std::string local_ice_pwd;
    std::optional<BrowserParameters> browser;  // the browser's ICE/DTLS parameters, once its SDP is known
    std::vector<BridgedLine> lines;
    // In an update: ports reserve_more_ports() gave, for lines added now or in a later
    // update (lines past those the session has, each naming one as its phone_port). The
    // session owns them from then on; when it has ended already, the worker releases
    // them at once.
    std::vector<std::uint16_t> added_phone_ports;
    // The browser holds both SDPs (outgoing: our answer went out; incoming: its answer
    // came): it can finish ICE and DTLS now, and the deadline for them starts.
    bool negotiated = false;
};

// What a session reports. `established`: ICE and DTLS are done and SRTP keys are set.
// `ended`: the session stopped relaying for good (its reason says why: "RTP timeout",
// "ICE consent expired", "DTLS failed: ...", "DTLS fingerprint mismatch").
// `dtmf`: the phone sent an RFC 4733 digit (told once, at its end).
struct MediaEvent {
    enum class Kind { established, ended, dtmf };
    MediaSessionId id = 0;
    Kind kind = Kind::established;
    std::string reason;
    char digit = '0';
    unsigned duration_ms = 0;
};

class MediaListener {
public:
    virtual ~MediaListener() = default;
    virtual void media_event(const MediaEvent &event) = 0;  // on a media worker thread
};

class MediaEngine {
public:
    virtual ~MediaEngine() = default;

    // The gateway's DTLS certificate fingerprint (sha-256, "AB:CD:..."), for every SDP it writes.
    virtual std::string fingerprint() const = 0;
    // The address written in SDPs and used as the ICE candidate.
    virtual std::string media_address() const = 0;

    // Holds free ports from the configured range for session `id` (which decides its
    // worker, and so its browser port); nothing when the range is exhausted. They are
    // released by close() of the session opened with them, or when that session ends
    // on its own (after its `ended` event): open every reservation you make.
    virtual std::optional<PortReservation> reserve_ports(MediaSessionId id, std::size_t phone_lines) = 0;
    // More phone ports for lines added to the open session `id` mid-call (video added);
    // nothing when the range is exhausted. Hand every one over in the next update()'s
    // added_phone_ports.
    virtual std::optional<std::vector<std::uint16_t>> reserve_more_ports(MediaSessionId id,
                                                                         std::size_t phone_lines) = 0;
    // Starts a session: binds its ports, answers ICE checks on its ufrag/pwd, accepts the
    // browser's DTLS, and relays once the browser's fingerprint is checked. Fields not
    // yet known (the browser's parameters, the phone's address) come with update().
    virtual void open(MediaSessionSpec spec) = 0;
    // Replaces what was not known at open(): the browser's parameters, the phone's peers;
    // and adds the lines past the session's own (with added_phone_ports).
    virtual void update(MediaSessionSpec spec) = 0;
    // Stops relaying and releases the ports; no event follows once the worker has taken
    // it (an event already on its way may still arrive: ignore events of closed sessions).
    virtual void close(MediaSessionId id) = 0;
};

}  // namespace sylk::media
