// The SIP side: a libre event loop on its own thread with the UDP/TCP/TLS transports,
// the DNS client and every account's Registration. Other threads talk to it only
// through the command methods below, which queue a message into the loop (mqueue).
#pragma once

#include "config/configuration.hpp"
#include "gateway/account_registrar.hpp"
#include "log/logger.hpp"
#include "sip/registration_types.hpp"

#include <memory>
#include <thread>

namespace sylk::sip {

class SipAgent final : public gateway::AccountRegistrar {
public:
    SipAgent(const config::Configuration &configuration, const log::Logger &logger, RegistrationSink sink);
    ~SipAgent() override;
    SipAgent(const SipAgent &) = delete;
    SipAgent &operator=(const SipAgent &) = delete;

    // Binds the transports and starts the loop; throws config::SettingError.
    void start();
    // Unregisters every binding (waiting at most unregister_timeout), then ends the loop.
    void stop();

    // Thread-safe: queued into the loop.
    void register_binding(BindingSpec spec) override;
    void unregister_binding(BindingId binding) override;
    void remove_binding(BindingId binding) override;  // unregister if needed, then forget it

private:
    class Loop;  // everything that lives on the libre thread
    std::unique_ptr<Loop> loop_;
    std::thread thread_;
};

}  // namespace sylk::sip
