#include "access/address_policy.hpp"
#include "app/metrics.hpp"
#include "app/application.hpp"

#include "gateway/gateway.hpp"
#include "gateway/web_thread_relay.hpp"
#include "media/media_engine_impl.hpp"
#include "sip/sip_agent.hpp"
#include "web/web_endpoint.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <pthread.h>


namespace sylk::app {

Application::Application(config::Configuration configuration, const sylk_host_callbacks *callbacks)
    : configuration_(std::move(configuration)), logger_(callbacks) {}

Application::~Application() {
    if (state_ != State::running) return;
    try {
        shut_down();
    } catch (...) {
        // Nothing may leave a destructor; shut_down has logged what it could.
    }
}

// A web port beyond loopback is reachable by anyone: say loudly what such a host leaves open.
void Application::warn_about_public_exposure() const {
    auto bytes = access::parse_address(configuration_.web_listen_address);
    const char *kind = bytes ? access::restricted_kind(*bytes) : nullptr;
    if (kind && std::string_view(kind) == "loopback") return;
    if (configuration_.sip_domains.any && !configuration_.outbound_sip_proxy)
        logger_.warning("SECURITY: the web port " + configuration_.web_listen_address +
                        " is beyond loopback, sip_domains is * and there is no outbound_sip_proxy: any web client "
                        "may register and call at any domain through this gateway (docs/security.md)");
    if (!configuration_.uses_tls())
        logger_.warning("SECURITY: the web port " + configuration_.web_listen_address +
                        " is beyond loopback without TLS: clients' HA1 values (password equivalents) travel in the "
                        "clear; set a certificate for wss (docs/security.md)");
    if (configuration_.web_origins.any)
        logger_.warning("SECURITY: web_origins is *: any web page may drive its visitors' browsers to use this "
                        "gateway; list your site's origins (docs/security.md)");
}

void Application::start() {
    if (state_ != State::created)
        throw std::logic_error(state_ == State::running ? "already started"
                                                        : "stopped applications cannot be restarted; create a new one");
    io_ = std::make_unique<boost::asio::io_context>(1);
    warn_about_public_exposure();
    try {
        // The gateway (web thread) asks the SIP thread through sip_agent_ and the media
        // workers through media_; both answer through relay_, which posts onto the web thread.
        endpoint_ = web::WebEndpoint::create(*io_, configuration_, logger_, counters_);
        relay_ = std::make_unique<gateway::WebThreadRelay>(*io_);
        media_ = media::create_media_engine(configuration_, logger_, *relay_);
        sip_agent_ = std::make_unique<sip::SipAgent>(configuration_, logger_, counters_, *relay_, *relay_);
        gateway_ = std::make_unique<gateway::Gateway>(configuration_, logger_, counters_, *endpoint_, *sip_agent_,
                                                      *sip_agent_, media_.get());
        relay_->attach(*gateway_);
        endpoint_->attach(*gateway_);
        endpoint_->attach_metrics([this] {
            return prometheus_text(counters_, media_gauges(media_->free_port_pairs(), media_->total_port_pairs(),
                                                           media_->counts()));
        });
        media_->start();
        sip_agent_->start();
        endpoint_->listen();
    } catch (...) {
        sip_agent_.reset();  // stops its thread if it started
        media_.reset();      // stops its workers if they started
        gateway_.reset();
        relay_.reset();
        endpoint_.reset();
        io_.reset();
        throw;
    }
    io_thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "sylk-web");  // in top -H, perf and /proc/PID/task
        run_io();
    });
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
    shut_down();
}

void Application::shut_down() {
    logger_.info("stopping");
    try {
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
    } catch (const std::exception &error) {
        logger_.error(std::string("stopping the web side failed: ") + error.what());
        io_->stop();
        if (io_thread_.joinable()) io_thread_.join();
    }
    relay_->web_side_stopped();
    // Closing the connections queued their calls' ends and unregistrations; let them
    // finish (bounded), then stop the media.
    sip_agent_.reset();  // its destructor stops it and never throws
    media_.reset();      // likewise
    if (std::size_t late = relay_->undelivered())
        logger_.info(std::to_string(late) + " SIP and media reports were not delivered: the web side had stopped");
    gateway_.reset();
    endpoint_.reset();
    relay_.reset();
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
