#include "app/application.hpp"

#include "gateway/gateway.hpp"
#include "sip/sip_agent.hpp"
#include "web/web_endpoint.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>


namespace sylk::app {

Application::Application(config::Configuration configuration, const sylk_host_callbacks *callbacks)
    : configuration_(std::move(configuration)), logger_(callbacks) {}

Application::~Application() {
    if (state_ == State::running) stop();
}

void Application::start() {
    if (state_ != State::created)
        throw std::logic_error(state_ == State::running ? "already started"
                                                        : "stopped applications cannot be restarted; create a new one");
    io_ = std::make_unique<boost::asio::io_context>(1);
    try {
        // SIP answers arrive on the libre thread; the gateway state lives on the io thread.
        sip_agent_ = std::make_unique<sip::SipAgent>(configuration_, logger_, [this](const sip::RegistrationUpdate &update) {
            boost::asio::post(*io_, [this, update] { gateway_->registration_changed(update); });
        });
        sip_agent_->start();
        endpoint_ = web::WebEndpoint::create(*io_, configuration_, logger_);
        gateway_ = std::make_unique<gateway::Gateway>(configuration_, logger_, counters_, *endpoint_, *sip_agent_);
        endpoint_->attach(*gateway_);
        endpoint_->listen();
    } catch (...) {
        gateway_.reset();
        endpoint_.reset();
        sip_agent_.reset();  // stops its thread if it started
        io_.reset();
        throw;
    }
    io_thread_ = std::thread([this] { run_io(); });
    state_ = State::running;
}

void Application::run_io() {
    // A handler that throws must not take the whole host down: log and go on.
    for (;;) {
        try {
            io_->run();
            return;
        } catch (const std::exception &error) {
            logger_.error(std::string("unexpected error on the web thread: ") + error.what());
        }
    }
}

void Application::stop() {
    if (state_ != State::running) throw std::logic_error("not running");
    logger_.info("stopping");
    {
        // Scoped: a timer must be gone before the io_context it belongs to.
        boost::asio::steady_timer grace(*io_, kShutdownGrace);
        boost::asio::post(*io_, [this, &grace] {
            endpoint_->shut_down([this, &grace] {
                grace.cancel();
                io_->stop();
            });
            grace.async_wait([this](boost::system::error_code ec) {
                if (ec) return;
                logger_.warning("some clients did not finish closing in time");
                io_->stop();
            });
        });
        io_thread_.join();
    }
    // Closing the connections queued their unregistrations; let them finish (bounded).
    sip_agent_->stop();
    gateway_.reset();
    endpoint_.reset();
    sip_agent_.reset();
    io_.reset();
    counters_.connections = 0;
    counters_.accounts = 0;
    counters_.sessions = 0;
    state_ = State::stopped;
    logger_.info("stopped");
}

std::string Application::stats_json() const {
    return "{\"connections\":" + std::to_string(counters_.connections.load()) +
           ",\"accounts\":" + std::to_string(counters_.accounts.load()) +
           ",\"sessions\":" + std::to_string(counters_.sessions.load()) +
           ",\"requests\":" + std::to_string(counters_.requests.load()) + "}";
}

}  // namespace sylk::app
