#include "media/browser_transport.hpp"

#include "media/dtls_certificate.hpp"
#include "media/rtp_header.hpp"
#include "media/srtp_aes_cm.hpp"
#include "media/srtp_gcm.hpp"

#include <cstring>

#include <openssl/crypto.h>

namespace sylk::media {

std::size_t srtp_key_size(enum srtp_suite suite) {
    switch (suite) {
    case SRTP_AES_CM_128_HMAC_SHA1_32:
    case SRTP_AES_CM_128_HMAC_SHA1_80: return 16 + 14;
    case SRTP_AES_256_CM_HMAC_SHA1_32:
    case SRTP_AES_256_CM_HMAC_SHA1_80: return 32 + 14;
    case SRTP_AES_128_GCM: return 16 + 12;
    case SRTP_AES_256_GCM: return 32 + 12;
    }
    return 0;
}


BrowserTransport::BrowserTransport(Events &events, BrowserPort &port, struct tls *dtls_context,
                                   std::string local_ufrag, std::string local_pwd)
    : events_(events), dtls_context_(dtls_context), port_(port), local_ufrag_(local_ufrag),
      ice_(std::move(local_ufrag), std::move(local_pwd)) {}

BrowserTransport::~BrowserTransport() {
    // The connection first (it sends its close alert through the port), then the routes.
    connection_.reset();
    if (attached_) port_.detach(local_ufrag_, *this);
}

int BrowserTransport::attach() {
    int err = port_.attach(local_ufrag_, *this);
    attached_ = err == 0;
    return err;
}

void BrowserTransport::set_browser(const BrowserParameters &browser) {
    browser_ = browser;
    ice_.set_remote_ufrag(browser.ice_ufrag);
    secure();
}

void BrowserTransport::port_stun(const struct sa &source, struct mbuf *message) {
    if (failed_) return;
    auto checked_before = ice_.checked_addresses();
    RePtr<struct mbuf> reply;
    auto outcome = ice_.handle(source, message, tmr_jiffies(), reply);
    if (reply) port_.send_now(source, reply.get());
    if (outcome == IceLiteResponder::Outcome::answered) route_checked_addresses(checked_before);
}

// The port routes to this session exactly the addresses its responder counts as
// checked: one the responder has forgotten is given up, the others are (again) ours.
void BrowserTransport::route_checked_addresses(const std::vector<struct sa> &checked_before) {
    for (const auto &address : checked_before)
        if (!ice_.is_checked(address)) port_.unroute(address, *this);
    for (const auto &address : ice_.checked_addresses()) port_.route(address, *this);
}

void BrowserTransport::port_media(const struct sa &, struct mbuf *packet) {
    // The port hands over only what comes from an address this session has routed,
    // that is, one its ICE checks passed.
    if (failed_ || !secured_ || mbuf_get_left(packet) < 12) {
        ++drops_.not_secured;
        return;
    }
    if (is_rtcp(packet)) {
        auto verdict = srtcp_guard_->open(packet);
        if (verdict != SrtcpGuard::Verdict::opened) {
            count(verdict);
            return;
        }
        events_.browser_rtcp(packet);
    } else {
        if (!rtp_from_browser_->unprotect(packet)) {
            ++drops_.srtp_refused;
            return;
        }
        events_.browser_rtp(packet);
    }
}

BrowserTransport::Drops BrowserTransport::drops() const {
    Drops drops = drops_;
    if (rtp_to_browser_) drops.srtp_send_used_index = rtp_to_browser_->refused_used_index();
    return drops;
}

void BrowserTransport::count(SrtcpGuard::Verdict verdict) {
    switch (verdict) {
    case SrtcpGuard::Verdict::opened: break;
    case SrtcpGuard::Verdict::too_short: ++drops_.srtcp_too_short; break;
    case SrtcpGuard::Verdict::not_encrypted: ++drops_.srtcp_not_encrypted; break;
    case SrtcpGuard::Verdict::replayed: ++drops_.srtcp_replayed; break;
    case SrtcpGuard::Verdict::too_old: ++drops_.srtcp_too_old; break;
    case SrtcpGuard::Verdict::too_many_streams: ++drops_.srtcp_too_many_streams; break;
    case SrtcpGuard::Verdict::refused: ++drops_.srtcp_refused; break;
    }
}

void BrowserTransport::port_dtls_offered(const struct sa &peer) {
    // One DTLS association per session, and only with an address that passed an ICE
    // check (RFC 8445: no data before connectivity is checked); a browser retransmits
    // its ClientHello, so one that came too early is not lost for good.
    if (failed_ || connection_ || !ice_.is_checked(peer)) return;
    struct tls_conn *connection = nullptr;
    int err = dtls_accept(&connection, dtls_context_, port_.dtls_socket(), &BrowserTransport::on_dtls_established,
                          &BrowserTransport::on_dtls_data, &BrowserTransport::on_dtls_closed, this);
    if (err) {
        fail(std::string("DTLS failed: cannot accept the handshake: ") + std::strerror(err));
        return;
    }
    connection_.reset(connection);
}

void BrowserTransport::on_dtls_established(void *self) {
    auto *transport = static_cast<BrowserTransport *>(self);
    transport->dtls_up_ = true;
    transport->secure();
}

void BrowserTransport::on_dtls_data(struct mbuf *, void *) {
    // Data channels (SCTP over DTLS) are not bridged: nothing to do with their bytes.
}

void BrowserTransport::on_dtls_closed(int err, void *self) {
    auto *transport = static_cast<BrowserTransport *>(self);
    transport->fail(err == ECONNRESET ? std::string("DTLS closed by the browser")
                                      : std::string("DTLS failed: ") + std::strerror(err));
}

void BrowserTransport::secure() {
    if (secured_ || failed_ || !dtls_up_ || !browser_) return;
    enum tls_fingerprint type = TLS_FINGERPRINT_SHA256;
    std::size_t digest_size = 32;
    if (browser_->fingerprint_algorithm == "sha-1") {
        type = TLS_FINGERPRINT_SHA1;
        digest_size = 20;
    } else if (browser_->fingerprint_algorithm != "sha-256") {
        fail("DTLS fingerprint mismatch: unsupported algorithm " + browser_->fingerprint_algorithm);
        return;
    }
    std::uint8_t digest[32];
    int err = tls_peer_fingerprint(connection_.get(), type, digest, digest_size);
    if (err) {
        fail(std::string("DTLS failed: no certificate from the browser: ") + std::strerror(err));
        return;
    }
    if (!same_fingerprint(format_fingerprint(digest, digest_size), browser_->fingerprint)) {
        fail("DTLS fingerprint mismatch");
        return;
    }
    enum srtp_suite suite {};
    std::uint8_t client_key[64], server_key[64];
    // The master keys live on in the SRTP contexts only: these copies are wiped on every way out.
    struct Wipe {
        std::uint8_t *a, *b;
        ~Wipe() {
            OPENSSL_cleanse(a, 64);
            OPENSSL_cleanse(b, 64);
        }
    } wipe{client_key, server_key};
    err = tls_srtp_keyinfo(connection_.get(), &suite, client_key, sizeof client_key, server_key, sizeof server_key);
    if (err) {
        fail(std::string("DTLS failed: no SRTP profile agreed: ") + std::strerror(err));
        return;
    }
    // RTP in our own SRTP code; libre's context sends SRTCP, and the guard opens it.
    try {
        if (suite == SRTP_AES_128_GCM && SrtpGcm::available()) {
            rtp_from_browser_ = std::make_unique<SrtpGcm>(client_key);
            rtp_to_browser_ = std::make_unique<SrtpGcm>(server_key);
        } else if (suite == SRTP_AES_CM_128_HMAC_SHA1_80) {
            rtp_from_browser_ = std::make_unique<SrtpAesCm>(client_key);
            rtp_to_browser_ = std::make_unique<SrtpAesCm>(server_key);
        } else {
            fail(std::string("DTLS failed: SRTP profile not offered: ") + srtp_suite_name(suite));
            return;
        }
    } catch (const std::exception &error) {
        fail(std::string("DTLS failed: cannot set SRTP keys: ") + error.what());
        return;
    }
    struct srtp *to = nullptr;
    err = srtp_alloc(&to, suite, server_key, srtp_key_size(suite), 0);
    if (err) {
        fail(std::string("DTLS failed: cannot set SRTCP keys: ") + std::strerror(err));
        return;
    }
    to_browser_.reset(to);
    srtcp_guard_.emplace(suite);
    err = srtcp_guard_->set_key(client_key, srtp_key_size(suite));
    if (err) {
        fail(std::string("DTLS failed: cannot set SRTCP keys: ") + std::strerror(err));
        return;
    }
    secured_ = true;
    events_.browser_secured();
}

bool BrowserTransport::send_rtp(struct mbuf *packet) {
    auto destination = ice_.browser_address();
    if (!secured_ || failed_ || !destination) {
        ++drops_.not_secured;
        return false;
    }
    if (!rtp_to_browser_->protect(packet)) {
        ++drops_.srtp_send_refused;
        return false;
    }
    port_.send(*destination, *packet);
    return true;
}

bool BrowserTransport::send_rtcp(struct mbuf *packet) {
    auto destination = ice_.browser_address();
    if (!secured_ || failed_ || !destination) {
        ++drops_.not_secured;
        return false;
    }
    if (srtcp_encrypt(to_browser_.get(), packet) != 0) {
        ++drops_.srtcp_send_refused;
        return false;
    }
    port_.send(*destination, *packet);
    return true;
}

void BrowserTransport::fail(const std::string &reason) {
    if (failed_) return;
    failed_ = true;
    secured_ = false;
    events_.browser_failed(reason);
}

}  // namespace sylk::media
