// The SIP side: a libre event loop on its own thread with the UDP/TCP/TLS transports,
// the DNS client, every account's Registration and every call's SipCall. Other threads reach it only through
// the command methods below, which post a typed SipCommand into its LoopInbox; what it
// has to say comes back through the RegistrationListener and CallListener, called on
// the SIP thread.
#pragma once

#include "config/configuration.hpp"
#include "sip/account_registrar.hpp"
#include "sip/call_control.hpp"
#include "stats/counters.hpp"
#include "log/logger.hpp"
#include "loop/loop_thread.hpp"
#include "sip/call_types.hpp"
#include "sip/registration_types.hpp"

#include <memory>

namespace sylk::sip {

class SipAgent final : public sip::AccountRegistrar, public sip::CallControl {
public:
    SipAgent(const config::Configuration &configuration, const log::Logger &logger, stats::Counters &counters,
             RegistrationListener &registrations, CallListener &calls);
    ~SipAgent() override;  // stops the loop if still running; never throws
    SipAgent(const SipAgent &) = delete;
    SipAgent &operator=(const SipAgent &) = delete;

    // Binds the transports and starts the loop; throws config::SettingError.
    void start();
    // Unregisters every binding (waiting at most unregister_timeout), then ends the loop.
    void stop();

    // Thread-safe: posted to the SIP thread. A command the SIP side can no longer take
    // (it has stopped) is logged as an error, never dropped in silence.
    void register_binding(BindingSpec spec) override;
    void unregister_binding(BindingId binding) override;
    void remove_binding(BindingId binding) override;  // unregister if needed, then forget it
    void place_call(OutgoingCallSpec spec) override;
    void answer_call(CallId call, std::string sdp, std::string extra_headers) override;
    void end_call(CallId call, std::uint16_t decline_code) override;
    void send_dtmf(CallId call, char digit, unsigned duration_ms) override;
    void answer_update(CallId call, std::uint32_t update_seq, std::uint16_t code, std::string sdp) override;
    void update_call(CallId call, std::string sdp) override;

private:
    class Loop;  // everything that lives on the libre thread
    std::unique_ptr<Loop> loop_;
    loop::LoopThread thread_;  // after loop_: stopped and joined before loop_ goes
};

}  // namespace sylk::sip
