// The browser's side of one session, on its worker's BrowserPort (the ICE-lite
// candidate every session of the worker shares): STUN for its ufrag, DTLS and
// SRTP/SRTCP (rtcp-mux, BUNDLE) from the addresses that passed its checks, which it
// routes to itself on the port. The gateway is always the DTLS server (setup:passive
// in answers, actpass in offers). Nothing is decrypted or sent before the browser's
// certificate has matched the fingerprint of its SDP and the SRTP keys are set
// ("secured"). Lives on one media worker thread; every callback comes on it.
#pragma once

#include "media/browser_port.hpp"
#include "media/ice_lite_responder.hpp"
#include "media/media_engine.hpp"
#include "media/re_ptr.hpp"
#include "media/srtcp_guard.hpp"
#include "media/srtp_rtp.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <re.h>

namespace sylk::media {

// Bytes of master key and salt that an SRTP suite takes (what tls_srtp_keyinfo fills).
std::size_t srtp_key_size(enum srtp_suite suite);

class BrowserTransport final : private BrowserPort::Client {
public:
    class Events {
    public:
        virtual ~Events() = default;
        virtual void browser_rtp(struct mbuf *packet) = 0;   // decrypted; pos at the RTP header
        virtual void browser_rtcp(struct mbuf *packet) = 0;  // decrypted; pos at the RTCP header
        virtual void browser_secured() = 0;                  // DTLS done, fingerprint checked, keys set
        virtual void browser_failed(const std::string &reason) = 0;  // the session cannot go on
    };

    BrowserTransport(Events &events, BrowserPort &port, struct tls *dtls_context, std::string local_ufrag,
                     std::string local_pwd);
    ~BrowserTransport() override;
    BrowserTransport(const BrowserTransport &) = delete;
    BrowserTransport &operator=(const BrowserTransport &) = delete;

    // Takes the session's STUN from the port. 0, or EEXIST when another session of the
    // worker has the same ufrag.
    int attach();
    // The browser's ICE and DTLS parameters (from its SDP); checks the fingerprint at
    // once when DTLS is already up (a browser answering our offer may be that fast).
    void set_browser(const BrowserParameters &browser);

    // Encrypt in place and send to the browser; dropped (and counted) until secured.
    // Whether it went.
    bool send_rtp(struct mbuf *packet);
    bool send_rtcp(struct mbuf *packet);

    bool secured() const { return secured_; }
    std::optional<std::uint64_t> last_check_ms() const { return ice_.last_check_ms(); }
    bool dtls_started() const { return connection_ != nullptr; }

    // Packets dropped, by reason (for the worker's logs and metrics).
    struct Drops {
        std::uint64_t not_secured = 0;   // media before the keys, after a failure, or no browser address yet
        std::uint64_t srtp_refused = 0;  // SRTP from the browser: forged, damaged, replayed or too old
        std::uint64_t srtp_send_refused = 0;  // RTP for the browser that could not be sealed
        // of those, an index sealed already or behind the window (fast path), or not newer
        // than the last sent (libre's path): a nonce or keystream would be used twice
        std::uint64_t srtp_send_used_index = 0;
        // SRTCP from the browser (SrtcpGuard's verdicts)
        std::uint64_t srtcp_too_short = 0;
        std::uint64_t srtcp_not_encrypted = 0;
        std::uint64_t srtcp_replayed = 0;
        std::uint64_t srtcp_too_old = 0;
        std::uint64_t srtcp_too_many_streams = 0;
        std::uint64_t srtcp_refused = 0;       // libre's authentication failed
        std::uint64_t srtcp_send_refused = 0;  // RTCP for the browser that could not be sealed
    };
    Drops drops() const;

private:
    void port_stun(const struct sa &source, struct mbuf *message) override;
    void port_dtls_offered(const struct sa &peer) override;
    void port_media(const struct sa &source, struct mbuf *packet) override;
    static void on_dtls_established(void *self);
    static void on_dtls_data(struct mbuf *packet, void *self);
    static void on_dtls_closed(int err, void *self);

    void route_checked_addresses(const std::vector<struct sa> &checked_before);
    void secure();
    void fail(const std::string &reason);

    Events &events_;
    struct tls *dtls_context_;  // the worker's; outlives every transport
    BrowserPort &port_;
    std::string local_ufrag_;
    IceLiteResponder ice_;
    std::optional<BrowserParameters> browser_;
    bool attached_ = false;
    RePtr<struct tls_conn> connection_;
    RePtr<struct srtp> to_browser_;  // SRTCP to the browser, with the DTLS server's keys (ours)
    std::optional<SrtcpGuard> srtcp_guard_;  // SRTCP from the browser, with a libre context of its own
    // RTP, with the DTLS client's keys and with ours (SrtpGcm or SrtpAesCm); set when secured_.
    std::unique_ptr<SrtpRtp> rtp_from_browser_;
    std::unique_ptr<SrtpRtp> rtp_to_browser_;
    bool dtls_up_ = false;
    bool secured_ = false;
    bool failed_ = false;
    void count(SrtcpGuard::Verdict verdict);

    Drops drops_;
};

}  // namespace sylk::media
