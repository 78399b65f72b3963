// One call's media: the browser transport, one phone transport per bridged m-line,
// and the relay between them. RTP from the browser goes to the line whose browser
// payload type it carries (unique within a BUNDLE), renumbered to the phone's type;
// RTP from a phone line is renumbered back, encrypted and sent to the browser. RTCP
// follows the same lines (from the browser, by the sender SSRC its RTP used).
// Timers are the worker's: it calls check() periodically.
// Lives on one media worker thread.
#pragma once

#include "media/browser_transport.hpp"
#include "media/call_quality.hpp"
#include "media/drop_report.hpp"
#include "media/media_counts.hpp"
#include "media/media_engine.hpp"
#include "media/payload_type_tables.hpp"
#include "media/phone_transport.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sylk::media {

struct SessionTimeouts {
    std::uint64_t rtp_ms = 30000;      // no RTP from the phone this long: "RTP timeout"
    std::uint64_t dtls_ms = 30000;     // negotiated but not secured this long: ICE or DTLS failed
    std::uint64_t consent_ms = 30000;  // no ICE check this long: "ICE consent expired" (RFC 7675)
};

class MediaSession final : private BrowserTransport::Events, private PhoneTransport::Events {
public:
    class Owner {
    public:
        virtual ~Owner() = default;
        virtual void session_established(MediaSessionId id) = 0;
        // The session stopped for good; the owner destroys it later, outside this call.
        virtual void session_failed(MediaSessionId id, const std::string &reason) = 0;
        // The phone sent an RFC 4733 digit (told once, at its end).
        virtual void session_digit(MediaSessionId id, char digit, unsigned duration_ms) = 0;
    };

    // `phone_ring`: the worker's, or null (the phone sockets then make their own calls).
    MediaSession(Owner &owner, BrowserPort &browser_port, PhoneRing *phone_ring, struct tls *dtls_context,
                 const SessionTimeouts &timeouts, MediaSessionSpec spec);
    ~MediaSession() override;
    MediaSession(const MediaSession &) = delete;
    MediaSession &operator=(const MediaSession &) = delete;

    // Takes its ufrag on the browser port and binds the phone sockets on `local`'s
    // address. Empty, or why it could not.
    std::optional<std::string> start(const struct sa &local);
    // Takes what the spec now knows and the ports in added_phone_ports (owned from here),
    // and opens the lines it adds, each on a port it owns that no line uses. Empty, or which added line could not be opened
    // (the call goes on without it; its port is still released with the session).
    std::optional<std::string> update(const MediaSessionSpec &spec);
    // Empty, or why the session must end now.
    std::optional<std::string> check(std::uint64_t now_ms) const;

    MediaSessionId id() const { return spec_.id; }
    const PortReservation &ports() const { return spec_.ports; }
    bool failed() const { return failed_; }

    // What it relayed, and what it and its transports refused, by reason.
    MediaCounts counts() const;
    // What it counted since the last call (the worker adds that to its sums).
    MediaCounts counts_since_last_call();
    // Its media quality so far as one JSON object (call_quality.hpp), for the hang-up log line.
    std::string quality_json() const;

private:
    std::optional<std::string> open_phone_line(std::size_t line);
    void browser_rtp(struct mbuf *packet) override;
    void browser_rtcp(struct mbuf *packet) override;
    void browser_secured() override;
    void browser_failed(const std::string &reason) override;
    void phone_rtp(std::size_t line, struct mbuf *packet) override;
    void phone_rtcp(std::size_t line, struct mbuf *packet) override;

    void apply(const MediaSessionSpec &spec);
    void build_payload_type_tables(const MediaSessionSpec &spec);
    void remember_line_of_ssrc(std::uint32_t ssrc, std::size_t line);
    void phone_digit(std::size_t line, const struct mbuf *packet);
    std::uint64_t relay_start_ms() const;
    bool phone_sends() const;

    Owner &owner_;
    PhoneRing *phone_ring_;
    SessionTimeouts timeouts_;
    MediaSessionSpec spec_;
    BrowserTransport browser_;
    std::vector<std::unique_ptr<PhoneTransport>> phones_;  // one per line of spec_
    struct sa local_ {};                                   // where phone sockets bind
    PayloadTypeTables payload_types_;  // the lines' pairs, rebuilt with each spec
    std::unordered_map<std::uint32_t, std::size_t> line_of_ssrc_;  // browser's sending SSRCs
    std::optional<std::pair<std::uint32_t, std::size_t>> last_ssrc_;  // the last written to it
    bool browser_known_ = false;
    std::optional<std::uint64_t> negotiated_ms_;  // when the ICE and DTLS deadline started
    std::optional<std::uint64_t> secured_ms_;
    std::optional<std::uint64_t> phone_known_ms_;
    std::optional<std::uint64_t> last_phone_rtp_ms_;
    bool failed_ = false;
    RelayedPackets relayed_;
    std::uint64_t unknown_payload_type_ = 0;
    std::optional<std::uint32_t> last_digit_timestamp_;  // the phone's last digit told (its end comes three times)
    MediaCounts counted_before_;  // as counts_since_last_call() last saw them
    CallQuality quality_;
};

}  // namespace sylk::media
