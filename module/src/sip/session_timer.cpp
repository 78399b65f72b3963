#include "sip/session_timer.hpp"

#include "sip/sip_text.hpp"

#include <algorithm>

namespace sylk::sip {

namespace {

// "1800;refresher=uac" -> 1800; nothing when it does not start with a number.
std::optional<std::uint32_t> leading_seconds(const struct pl &value) {
    struct pl digits;
    if (re_regex(value.p, value.l, "[ \t]*[0-9]+", nullptr, &digits) != 0 || digits.l > 9) return std::nullopt;
    return pl_u32(&digits);
}

}  // namespace

std::optional<SessionExpires> read_session_expires(const struct sip_msg &message) {
    const struct sip_hdr *header = sip_msg_hdr(&message, SIP_HDR_SESSION_EXPIRES);
    if (!header) return std::nullopt;
    auto seconds = leading_seconds(header->val);
    if (!seconds || *seconds == 0) return std::nullopt;
    SessionExpires read{*seconds, std::nullopt};
    struct pl refresher;
    if (msg_param_decode(&header->val, "refresher", &refresher) == 0) {
        std::string who = pl_text(refresher);
        if (who == "uac" || who == "uas") read.refresher = who;
    }
    return read;
}

std::optional<std::uint32_t> read_min_se(const struct sip_msg &message) {
    const struct sip_hdr *header = sip_msg_hdr(&message, SIP_HDR_MIN_SE);
    return header ? leading_seconds(header->val) : std::nullopt;
}

bool supports_timer(const struct sip_msg &message) {
    return sip_msg_hdr_has_value(&message, SIP_HDR_SUPPORTED, "timer") ||
           sip_msg_hdr_has_value(&message, SIP_HDR_REQUIRE, "timer");
}

void SessionTimer::settle(std::uint32_t seconds, bool we_refresh) {
    // A far end's 2xx may name less than our Min-SE (RFC 4028 forbids it, phones do it);
    // it is taken, down to a floor, so that no peer makes us refresh more than every 2 s.
    seconds_ = seconds ? std::max(seconds, kShortestSessionExpires) : 0;
    we_refresh_ = we_refresh;
    refreshed();
}

// We refresh at half the interval (RFC 4028 7.4); the far end's refresh is awaited until
// the interval less a third of it, at most 32 s (RFC 4028 10), before the call ends.
void SessionTimer::refreshed() {
    tmr_cancel(&timer_);
    if (!seconds_) return;
    std::uint64_t wait_ms = we_refresh_ ? seconds_ * 500ull : (seconds_ - std::min<std::uint32_t>(32, seconds_ / 3)) * 1000ull;
    tmr_start(&timer_, wait_ms, fire, this);
}

void SessionTimer::fire(void *arg) {
    auto *self = static_cast<SessionTimer *>(arg);
    if (self->we_refresh_) {
        if (self->events_.refresh) self->events_.refresh();
        return;
    }
    if (self->events_.expired)
        self->events_.expired("408 Session Timer expired (no refresh within " + std::to_string(self->seconds_) + " s)");
}

std::string SessionTimer::header(bool in_request) const {
    if (!seconds_) return {};
    const char *refresher = we_refresh_ == in_request ? "uac" : "uas";
    return "Session-Expires: " + std::to_string(seconds_) + ";refresher=" + refresher + "\r\n";
}

}  // namespace sylk::sip
