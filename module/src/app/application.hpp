// One running gateway: the configuration, the io thread, the web endpoint and the
// gateway state. The C ABI (plugin_entry.cpp) is a thin shell around this class.
#pragma once

#include "config/configuration.hpp"
#include "stats/counters.hpp"
#include "log/logger.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace sylk::gateway {
class Gateway;
class WebThreadRelay;
}
namespace sylk::web {
class WebEndpoint;
}
namespace sylk::sip {
class SipAgent;
}
namespace sylk::media {
class LibreMediaEngine;
}

namespace sylk::app {

class Application {
public:
    Application(config::Configuration configuration, const sylk_host_callbacks *callbacks);
    ~Application();  // stops first when running; never throws
    Application(const Application &) = delete;
    Application &operator=(const Application &) = delete;

    void start();  // throws config::SettingError, std::logic_error when not in the created state
    void stop();   // throws std::logic_error when not running
    bool running() const { return state_ == State::running; }
    std::string stats_json() const;

private:
    void warn_about_public_exposure() const;
    enum class State { created, running, stopped };

    void run_io();
    void shut_down();  // stop() without the state check, for the destructor too

    // How long stop() lets clients finish their closing handshakes.
    static constexpr std::chrono::seconds kShutdownGrace{3};

    config::Configuration configuration_;
    log::Logger logger_;
    stats::Counters counters_;
    // Declared before the parts that use it, so that it is destroyed after them.
    std::unique_ptr<boost::asio::io_context> io_;
    std::unique_ptr<gateway::WebThreadRelay> relay_;  // SIP thread and media workers -> web thread
    std::unique_ptr<media::LibreMediaEngine> media_;
    std::unique_ptr<sip::SipAgent> sip_agent_;
    std::unique_ptr<web::WebEndpoint> endpoint_;
    std::unique_ptr<gateway::Gateway> gateway_;
    std::thread io_thread_;
    State state_ = State::created;
};

}  // namespace sylk::app
