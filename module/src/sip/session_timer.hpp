// RFC 4028 session timers for one call: what our INVITE asks (Session-Expires 1800,
// Min-SE 90), what a 422 or the answer settles, what the far end's INVITE asks of us, and
// the timer that follows: when we refresh, at half the interval (SipCall sends an UPDATE
// when the far end allows it, else a re-INVITE with the SDP already agreed); when the far
// end refreshes and misses, the call ends. Every re-INVITE or UPDATE answered with 2xx,
// either way, counts as a refresh.
// Libre thread only (its timer is libre's).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <re.h>

namespace sylk::sip {

inline constexpr std::uint32_t kSessionExpires = 1800;  // what our INVITE asks (RFC 4028 4: the recommended value)
inline constexpr std::uint32_t kMinSessionExpires = 90;  // the least we take (RFC 4028 5: no less than 90)
inline constexpr std::uint32_t kShortestSessionExpires = 4;  // the floor of what a far end's answer may settle

// A Session-Expires header: its interval and whose refresher it names, if it does.
struct SessionExpires {
    std::uint32_t seconds = 0;
    std::optional<std::string> refresher;  // "uac" or "uas" (of the transaction that carried it)
};
std::optional<SessionExpires> read_session_expires(const struct sip_msg &message);
std::optional<std::uint32_t> read_min_se(const struct sip_msg &message);
bool supports_timer(const struct sip_msg &message);  // "timer" in Supported or Require

class SessionTimer {
public:
    struct Events {
        std::function<void()> refresh;                     // send a refresh now
        std::function<void(const std::string &)> expired;  // no refresh came in time: end the call
    };
    explicit SessionTimer(Events events) : events_(std::move(events)) {}
    ~SessionTimer() { tmr_cancel(&timer_); }
    SessionTimer(const SessionTimer &) = delete;
    SessionTimer &operator=(const SessionTimer &) = delete;

    // The terms settled by a 2xx or by our answer: `seconds` 0 stops the timer.
    void settle(std::uint32_t seconds, bool we_refresh);
    // A refresh succeeded (ours or the far end's): the interval starts again.
    void refreshed();
    bool active() const { return seconds_ != 0; }
    std::uint32_t seconds() const { return seconds_; }
    bool we_refresh() const { return we_refresh_; }

    // What our outgoing INVITE asks: a larger interval after a 422 (its Min-SE).
    std::uint32_t asked() const { return asked_; }
    void ask_at_least(std::uint32_t seconds) { asked_ = std::max(asked_, seconds); }

    // A header line for our requests and answers while active: "Session-Expires: N;refresher=R\r\n",
    // `refresher` relative to that transaction ("uac" when we send the request and refresh).
    std::string header(bool in_request) const;

private:
    static void fire(void *arg);

    Events events_;
    std::uint32_t asked_ = kSessionExpires;
    std::uint32_t seconds_ = 0;
    bool we_refresh_ = false;
    struct tmr timer_{};
};

}  // namespace sylk::sip
