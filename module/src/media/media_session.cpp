#include "media/media_session.hpp"

#include "media/telephone_event.hpp"

#include "media/rtp_header.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace sylk::media {

namespace {

// Arrival times for jitter: a microsecond clock (libre's tmr_jiffies counts milliseconds,
// too coarse for jitter of a few ms).
std::uint64_t now_us() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

const std::uint8_t *bytes(const struct mbuf *packet) { return packet->buf + packet->pos; }

std::string seconds(std::uint64_t ms) { return std::to_string(ms / 1000) + " s"; }

}  // namespace

MediaSession::MediaSession(Owner &owner, BrowserPort &browser_port, PhoneRing *phone_ring,
                           struct tls *dtls_context, const SessionTimeouts &timeouts, MediaSessionSpec spec)
    : owner_(owner), phone_ring_(phone_ring), timeouts_(timeouts), spec_(std::move(spec)),
      browser_(*this, browser_port, dtls_context, spec_.local_ice_ufrag, spec_.local_ice_pwd), quality_(now_us()) {}

MediaSession::~MediaSession() = default;

std::optional<std::string> MediaSession::start(const struct sa &local) {
    if (browser_.attach() != 0) return "ICE ufrag " + spec_.local_ice_ufrag + " is already in use on this media worker";
    local_ = local;
    for (std::size_t line = 0; line < spec_.lines.size(); ++line)
        if (auto problem = open_phone_line(line)) return problem;
    apply(spec_);
    return std::nullopt;
}

std::optional<std::string> MediaSession::open_phone_line(std::size_t line) {
    auto phone = std::make_unique<PhoneTransport>(static_cast<PhoneTransport::Events &>(*this), line, phone_ring_);
    if (int err = phone->listen(local_, spec_.lines[line].phone_port))
        return "cannot bind the RTP ports " + std::to_string(spec_.lines[line].phone_port) + "/" +
               std::to_string(spec_.lines[line].phone_port + 1) + ": " + std::strerror(err);
    phones_.push_back(std::move(phone));
    return std::nullopt;
}

std::optional<std::string> MediaSession::update(const MediaSessionSpec &spec) {
    // Ports and ICE credentials stay as opened; the browser's parameters, the phones'
    // addresses and the payload type pairs may come now, and lines be added.
    spec_.browser = spec.browser;
    spec_.negotiated = spec.negotiated;
    bool phone_sent = phone_sends();
    for (std::size_t line = 0; line < spec_.lines.size() && line < spec.lines.size(); ++line) {
        spec_.lines[line].payload_types = spec.lines[line].payload_types;
        spec_.lines[line].phone = spec.lines[line].phone;
    }
    const auto &added = spec.added_phone_ports;
    spec_.ports.phone_ports.insert(spec_.ports.phone_ports.end(), added.begin(), added.end());
    std::optional<std::string> problem;
    for (std::size_t line = spec_.lines.size(); line < spec.lines.size() && !problem; ++line) {
        std::uint16_t port = spec.lines[line].phone_port;
        const auto &owned = spec_.ports.phone_ports;
        bool in_use = std::any_of(spec_.lines.begin(), spec_.lines.end(),
                                  [port](const BridgedLine &open) { return open.phone_port == port; });
        if (in_use || std::find(owned.begin(), owned.end(), port) == owned.end()) {
            problem = "line " + std::to_string(line) + " was added without a port of its own";
            break;
        }
        spec_.lines.push_back(spec.lines[line]);
        if ((problem = open_phone_line(line))) spec_.lines.pop_back();
    }
    apply(spec_);
    // Off hold: the RTP timeout counts from now, not from the phone's last packet before it.
    if (phone_sends() && !phone_sent) last_phone_rtp_ms_ = tmr_jiffies();
    return problem;
}

void MediaSession::apply(const MediaSessionSpec &spec) {
    std::uint64_t now = tmr_jiffies();
    if (spec.browser && !browser_known_) {
        browser_known_ = true;
        browser_.set_browser(*spec.browser);
    }
    if (spec.browser && spec.negotiated && !negotiated_ms_) negotiated_ms_ = now;
    bool all_phones_known = !phones_.empty();
    for (std::size_t line = 0; line < phones_.size(); ++line) {
        phones_[line]->set_phone(spec.lines[line].phone);
        all_phones_known = all_phones_known && phones_[line]->has_phone();
    }
    if (all_phones_known && !phone_known_ms_) phone_known_ms_ = now;
    build_payload_type_tables(spec);
    quality_.set_lines(spec.lines);
}

void MediaSession::build_payload_type_tables(const MediaSessionSpec &spec) { payload_types_.build(spec.lines); }

// A phone that said recvonly or inactive on every line (it holds the call) sends no RTP.
bool MediaSession::phone_sends() const {
    return std::any_of(phones_.begin(), phones_.end(), [](const auto &phone) { return phone->phone_sends(); });
}

std::uint64_t MediaSession::relay_start_ms() const {
    return std::max({*secured_ms_, *phone_known_ms_, last_phone_rtp_ms_.value_or(0)});
}

std::optional<std::string> MediaSession::check(std::uint64_t now_ms) const {
    if (failed_) return std::nullopt;
    if (negotiated_ms_ && !secured_ms_ && now_ms - *negotiated_ms_ > timeouts_.dtls_ms) {
        if (!browser_.last_check_ms()) return "ICE failed: no connectivity check in " + seconds(timeouts_.dtls_ms);
        return "DTLS failed: handshake not completed in " + seconds(timeouts_.dtls_ms);
    }
    if (auto last_check = browser_.last_check_ms(); last_check && now_ms - *last_check > timeouts_.consent_ms)
        return std::string("ICE consent expired");
    if (secured_ms_ && phone_known_ms_ && phone_sends() && now_ms - relay_start_ms() > timeouts_.rtp_ms)
        return std::string("RTP timeout");
    return std::nullopt;
}

MediaCounts MediaSession::counts() const {
    MediaCounts counts;
    counts.relayed = relayed_;
    counts.dropped.browser = browser_.drops();
    counts.dropped.unknown_payload_type = unknown_payload_type_;
    SessionDrops line;
    for (const auto &phone : phones_) {
        line.phone = phone->drops();
        add(counts.dropped, line);
    }
    return counts;
}

std::string MediaSession::quality_json() const { return quality_.json(spec_.id, now_us()); }

MediaCounts MediaSession::counts_since_last_call() {
    MediaCounts now = counts();
    MediaCounts since = difference(now, counted_before_);
    counted_before_ = now;
    return since;
}

void MediaSession::browser_rtp(struct mbuf *packet) {
    PayloadTypeTables::ToPhone route = payload_types_.to_phone(rtp_payload_type(packet));
    if (route.line == PayloadTypeTables::kNone || route.line >= phones_.size()) {
        ++unknown_payload_type_;
        return;
    }
    quality_.from_browser(route.line, bytes(packet), now_us());  // under the browser's payload type
    set_payload_type(packet, route.type);
    remember_line_of_ssrc(rtp_ssrc(packet), route.line);
    if (phones_[route.line]->send_rtp(packet)) {
        ++relayed_.browser_to_phone_rtp;
        quality_.sent_to_phone(route.line);
    }
}

// A stream's packets come one after another with the same SSRC: the map (a cache miss
// per packet with many sessions) is written only when the SSRC or its line changes.
void MediaSession::remember_line_of_ssrc(std::uint32_t ssrc, std::size_t line) {
    if (last_ssrc_ && last_ssrc_->first == ssrc && last_ssrc_->second == line) return;
    line_of_ssrc_[ssrc] = line;
    last_ssrc_ = {ssrc, line};
}

void MediaSession::browser_rtcp(struct mbuf *packet) {
    if (phones_.empty()) return;
    quality_.browser_rtcp(bytes(packet), mbuf_get_left(packet));
    auto line = line_of_ssrc_.find(rtcp_sender_ssrc(packet));
    if (phones_[line == line_of_ssrc_.end() ? 0 : line->second]->send_rtcp(packet)) ++relayed_.browser_to_phone_rtcp;
}

void MediaSession::browser_secured() {
    secured_ms_ = tmr_jiffies();
    owner_.session_established(spec_.id);
}

void MediaSession::browser_failed(const std::string &reason) {
    if (failed_) return;
    failed_ = true;
    owner_.session_failed(spec_.id, reason);
}

void MediaSession::phone_rtp(std::size_t line, struct mbuf *packet) {
    if (failed_) return;
    last_phone_rtp_ms_ = tmr_jiffies();
    quality_.from_phone(line, bytes(packet), now_us());
    if (rtp_payload_type(packet) == payload_types_.phone_event_type(line)) phone_digit(line, packet);
    std::uint8_t type = payload_types_.to_browser(line, rtp_payload_type(packet));
    if (type == PayloadTypeTables::kNone) {
        ++unknown_payload_type_;
        return;
    }
    set_payload_type(packet, type);
    if (!browser_.secured()) return;
    if (browser_.send_rtp(packet)) {
        ++relayed_.phone_to_browser_rtp;
        quality_.sent_to_browser(line);
    }
}

// RFC 4733: a digit is told at its end, once (the end packet comes three times, with the
// digit's timestamp); it is relayed to the browser all the same.
void MediaSession::phone_digit(std::size_t line, const struct mbuf *packet) {
    auto event = read_telephone_event(mbuf_buf(packet), mbuf_get_left(packet));
    if (!event || !event->end || last_digit_timestamp_ == event->timestamp) return;
    last_digit_timestamp_ = event->timestamp;
    std::uint32_t clock = payload_types_.phone_event_clock(line);
    unsigned duration_ms = clock ? static_cast<unsigned>(event->duration * 1000ull / clock) : 0;
    owner_.session_digit(spec_.id, event->digit, std::max(1u, duration_ms));
}

void MediaSession::phone_rtcp(std::size_t, struct mbuf *packet) {
    if (failed_) return;
    quality_.phone_rtcp(bytes(packet), mbuf_get_left(packet));  // before it is encrypted in place
    if (browser_.send_rtcp(packet)) ++relayed_.phone_to_browser_rtcp;
}

}  // namespace sylk::media
