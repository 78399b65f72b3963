// The WebSocket side: accepts ws/wss connections on /webrtcgateway/ws, negotiates
// sylkRTC-1 or sylkRTC-2 (the subprotocol chooses), keeps peers alive with pings, and
// hands text frames to the gateway.
// All of it runs on the io_context's single thread.
#pragma once

#include "config/configuration.hpp"
#include "gateway/client_events.hpp"
#include "gateway/client_transport.hpp"
#include "stats/counters.hpp"
#include "log/logger.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sylk::web {

inline constexpr std::string_view kEndpointPath = "/webrtcgateway/ws";
inline constexpr std::string_view kDemoPath = "/webrtcgateway/";  // the demo page

class WebEndpoint : public gateway::ClientTransport {
public:
    // ws or wss, as the configuration says.
    static std::unique_ptr<WebEndpoint> create(boost::asio::io_context &io,
                                               const config::Configuration &configuration,
                                               const log::Logger &logger, stats::Counters &counters);

    // What receives client events (the gateway); set once before listen().
    virtual void attach(gateway::ClientEvents &events) = 0;
    // What /metrics serves (Prometheus text), rendered on the io thread at each scrape.
    virtual void attach_metrics(std::function<std::string()> render) = 0;

    // Binds and starts accepting. Throws config::SettingError naming the setting at fault.
    virtual void listen() = 0;

    // Stops accepting, closes every connection (1001 going away), and calls `done` on
    // the io thread once none is left.
    virtual void shut_down(std::function<void()> done) = 0;
};

}  // namespace sylk::web
