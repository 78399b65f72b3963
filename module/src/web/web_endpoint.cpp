#include "web/web_endpoint.hpp"

#include "access/address_policy.hpp"
#include "log/log_budget.hpp"
#include "web/demo_page.hpp"

#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/asio.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/logger/stub.hpp>
#include <websocketpp/server.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <unordered_map>

namespace sylk::web {

namespace {

namespace ws = websocketpp;

// Per-connection fields websocketpp stores inside its connection object for us.
struct ConnectionData {
    gateway::ClientId client_id = 0;
    protocol::Dialect dialect = protocol::Dialect::sylkrtc1;  // chosen by the handshake
    std::string remote_address;  // counted in connections_per_address_ while open
    bool awaiting_pong = false;
    log::LogBudget warnings;  // binary frames are logged, but not without end
};

// One io thread, so no strands and no locks; a small read buffer keeps idle
// connections cheap (websocketpp reserves it inside each connection object).
template <typename SocketType>
struct EndpointConfig : ws::config::core {
    using type = EndpointConfig;
    using base = ws::config::core;
    using concurrency_type = ws::concurrency::none;
    using alog_type = ws::log::stub;
    using elog_type = ws::log::stub;
    using connection_base = ConnectionData;
    static const std::size_t connection_read_buffer_size = 4096;
    static const bool enable_multithreading = false;

    struct transport_config : base::transport_config {
        using concurrency_type = type::concurrency_type;
        using alog_type = type::alog_type;
        using elog_type = type::elog_type;
        using request_type = type::request_type;
        using response_type = type::response_type;
        using socket_type = SocketType;
        static const bool enable_multithreading = false;
        static const long timeout_close_handshake = 2000;  // ms; a dead peer is not waited for long
    };
    using transport_type = ws::transport::asio::endpoint<transport_config>;
};

using PlainConfig = EndpointConfig<ws::transport::asio::basic_socket::endpoint>;
using TlsConfig = EndpointConfig<ws::transport::asio::tls_socket::endpoint>;
using SslContext = boost::asio::ssl::context;

// Origins compare case-insensitively in scheme and host; a trailing slash is not part of one.
std::string normalized_origin(std::string origin) {
    std::transform(origin.begin(), origin.end(), origin.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    while (!origin.empty() && origin.back() == '/') origin.pop_back();
    return origin;
}

template <typename Config>
class Endpoint final : public WebEndpoint {
public:
    using Server = ws::server<Config>;
    using ConnectionPtr = typename Server::connection_ptr;

    Endpoint(boost::asio::io_context &io, const config::Configuration &configuration,
             const log::Logger &logger, stats::Counters &counters)
        : io_(io), configuration_(configuration), logger_(logger), counters_(counters), ping_timer_(io) {
        for (const auto &network : configuration.admin_networks)
            if (auto parsed = access::parse_network(network)) admin_networks_.push_back(*parsed);
        for (const auto &origin : configuration.web_origins.values)
            allowed_origins_.push_back(normalized_origin(origin));
        server_.init_asio(&io_);
        server_.set_reuse_addr(true);
        server_.set_max_message_size(configuration.websocket_max_message_size);
        server_.set_max_http_body_size(64 * 1024);
        server_.set_validate_handler([this](ws::connection_hdl h) { return validate(h); });
        server_.set_http_handler([this](ws::connection_hdl h) { plain_http(h); });
        server_.set_open_handler([this](ws::connection_hdl h) { opened(h); });
        server_.set_close_handler([this](ws::connection_hdl h) { closed(h); });
        server_.set_fail_handler([this](ws::connection_hdl h) { failed(h); });
        server_.set_message_handler(
            [this](ws::connection_hdl h, typename Server::message_ptr m) { message(h, m); });
        server_.set_pong_handler([this](ws::connection_hdl h, std::string) { pong(h); });
        if constexpr (std::is_same_v<Config, TlsConfig>) {
            tls_context_ = make_tls_context();
            server_.set_tls_init_handler([this](ws::connection_hdl) { return tls_context_; });
        }
    }

    void attach(gateway::ClientEvents &events) override { events_ = &events; }
    void attach_metrics(std::function<std::string()> render) override { render_metrics_ = std::move(render); }

    void listen() override {
        boost::system::error_code address_ec;
        auto address = boost::asio::ip::make_address(configuration_.web_listen_address, address_ec);
        if (address_ec)
            throw config::SettingError("web_listen_address", "'" + configuration_.web_listen_address +
                                                                 "' is not an IP address");
        ws::lib::error_code ec;
        boost::asio::ip::tcp::endpoint where(address, configuration_.web_listen_port);
        server_.listen(where, ec);
        if (ec)
            throw config::SettingError("web_listen_port", "cannot listen on " + configuration_.web_listen_address +
                                                              ":" + std::to_string(configuration_.web_listen_port) +
                                                              ": " + bind_failure_reason(where));
        server_.start_accept(ec);
        if (ec) throw std::runtime_error("cannot accept connections: " + ec.message());
        logger_.info(std::string("listening for ") + (configuration_.uses_tls() ? "wss" : "ws") +
                     " on " + configuration_.web_listen_address + ":" +
                     std::to_string(configuration_.web_listen_port) + std::string(kEndpointPath));
        schedule_ping();
    }

    // websocketpp reports any bind failure as "Underlying Transport Error"; a second
    // bind of our own recovers the system's reason ("Address already in use"...).
    std::string bind_failure_reason(const boost::asio::ip::tcp::endpoint &where) {
        boost::asio::ip::tcp::acceptor probe(io_);
        boost::system::error_code ec;
        probe.open(where.protocol(), ec);
        if (!ec) probe.set_option(boost::asio::socket_base::reuse_address(true), ec);
        if (!ec) probe.bind(where, ec);
        return ec ? ec.message() : "the listening socket could not be set up";
    }

    void shut_down(std::function<void()> done) override {
        shutdown_done_ = std::move(done);
        ping_timer_.cancel();
        ws::lib::error_code ignored;
        if (server_.is_listening()) server_.stop_listening(ignored);
        // Connections still in their handshake are not in connections_; they end by their own timeouts.
        for (auto &[id, connection] : connections_)
            connection->close(ws::close::status::going_away, "server shutting down", ignored);
        finish_shutdown_if_idle();
    }

    void send_text(gateway::ClientId client, std::string text) override {
        auto it = connections_.find(client);
        if (it == connections_.end()) return;
        ws::lib::error_code ec = it->second->send(text, ws::frame::opcode::text);
        if (ec) logger_.debug("send to client " + std::to_string(client) + " failed: " + ec.message());
        // A client that does not read would otherwise grow this queue without end.
        if (it->second->get_buffered_amount() > configuration_.max_send_queue_bytes &&
            it->second->get_state() == ws::session::state::open) {
            counters_.refused(stats::Refusal::max_send_queue_bytes);
            logger_.warning("closing connection from " + it->second->get_remote_endpoint() + ": " +
                            std::to_string(it->second->get_buffered_amount()) +
                            " bytes unread (max_send_queue_bytes)");
            ws::lib::error_code ignored;
            it->second->close(ws::close::status::policy_violation, "send queue full: the client does not read",
                              ignored);
        }
    }

private:
    std::shared_ptr<SslContext> make_tls_context() {
        auto context = std::make_shared<SslContext>(SslContext::tls_server);
        boost::system::error_code ec;
        context->set_options(SslContext::default_workarounds | SslContext::no_sslv2 |
                                 SslContext::no_sslv3 | SslContext::no_tlsv1 | SslContext::no_tlsv1_1,
                             ec);
        context->use_certificate_chain_file(configuration_.tls_certificate, ec);
        if (ec)
            throw config::SettingError("tls_certificate", "cannot load TLS certificate '" + configuration_.tls_certificate +
                                     "': " + ec.message());
        context->use_private_key_file(configuration_.tls_certificate, SslContext::pem, ec);
        if (ec)
            throw config::SettingError("tls_certificate", "no usable private key in '" +
                                                              configuration_.tls_certificate + "': " + ec.message());
        return context;
    }

    bool validate(ws::connection_hdl handle) {
        ConnectionPtr connection = server_.get_con_from_hdl(handle);
        if (!on_endpoint_path(connection->get_resource())) {
            connection->set_status(ws::http::status_code::not_found);
            return false;
        }
        auto dialect = protocol::choose_dialect(connection->get_requested_subprotocols());
        if (!dialect) {
            connection->set_status(ws::http::status_code::not_acceptable, "No compatible protocol specified");
            return false;
        }
        // Connections' limits: everyone together, then each address (a NAT may hold many users).
        if (connections_.size() >= configuration_.max_connections) {
            refuse_busy(connection, stats::Refusal::max_connections, configuration_.max_connections);
            return false;
        }
        std::string address = remote_address(connection);
        if (auto count = connections_per_address_.find(address);
            count != connections_per_address_.end() && count->second >= configuration_.max_connections_per_ip) {
            refuse_busy(connection, stats::Refusal::max_connections_per_ip, configuration_.max_connections_per_ip);
            return false;
        }
        if (!configuration_.web_origins.any &&
            std::find(allowed_origins_.begin(), allowed_origins_.end(),
                      normalized_origin(connection->get_origin())) == allowed_origins_.end()) {
            logger_.warning("refused connection from " + connection->get_remote_endpoint() +
                            ": origin '" + connection->get_origin() + "' is not allowed");
            connection->set_status(ws::http::status_code::forbidden);
            return false;
        }
        connection->dialect = *dialect;
        connection->select_subprotocol(std::string(protocol::subprotocol_of(*dialect)));
        return true;
    }

    // 503 with Retry-After: the limit is the server's, not the client's fault.
    void refuse_busy(const ConnectionPtr &connection, stats::Refusal limit, std::size_t value) {
        counters_.refused(limit);
        if (std::string line = refusal_log_.admit("refused connection from " + connection->get_remote_endpoint() +
                                                  ": limit reached: " + stats::refusal_name(limit) + " (" +
                                                  std::to_string(value) + ")");
            !line.empty())
            logger_.warning(line);
        connection->set_status(ws::http::status_code::service_unavailable);
        connection->append_header("Retry-After", "30");
        connection->set_body(std::string("limit reached: ") + stats::refusal_name(limit) + "\n");
    }

    static std::string remote_address(const ConnectionPtr &connection) {
        boost::system::error_code ec;
        auto endpoint = connection->get_raw_socket().lowest_layer().remote_endpoint(ec);
        return ec ? connection->get_remote_endpoint() : endpoint.address().to_string();
    }

    // Plain HTTP (no upgrade): the demo page under /webrtcgateway/, 426 on the
    // WebSocket endpoint, 404 elsewhere.
    void plain_http(ws::connection_hdl handle) {
        ConnectionPtr connection = server_.get_con_from_hdl(handle);
        std::string_view path(connection->get_resource());
        path = path.substr(0, path.find('?'));
        if (path == "/metrics" || path == "/health" || path == "/ready") {
            admin_page(connection, path);
        } else if (path == kEndpointPath) {
            connection->set_status(ws::http::status_code::upgrade_required);
            connection->append_header("Upgrade", "websocket");
            connection->set_body("WebSocket (subprotocol sylkRTC-2 or sylkRTC-1) only\n");
        } else if (path == kDemoPath || path == std::string(kDemoPath) + "index.html") {
            if (connection->get_request().get_method() != "GET" && connection->get_request().get_method() != "HEAD") {
                connection->set_status(ws::http::status_code::method_not_allowed);
                connection->append_header("Allow", "GET, HEAD");
                return;
            }
            connection->set_status(ws::http::status_code::ok);
            connection->append_header("Content-Type", "text/html; charset=utf-8");
            connection->append_header("Cache-Control", "no-cache");
            connection->append_header("X-Content-Type-Options", "nosniff");
            // The page talks only to this server, and never frames or is framed.
            connection->append_header("Content-Security-Policy",
                                      "default-src 'self'; connect-src 'self' ws: wss:; script-src 'unsafe-inline'; "
                                      "style-src 'unsafe-inline'; media-src 'self' blob: mediastream:; frame-ancestors 'none'");
            connection->set_body(std::string(demo_page_html()));
        } else if (path == std::string_view(kDemoPath).substr(0, std::string_view(kDemoPath).size() - 1)) {
            connection->set_status(ws::http::status_code::moved_permanently);
            connection->append_header("Location", std::string(kDemoPath));
        } else {
            connection->set_status(ws::http::status_code::not_found);
            connection->set_body("Not found\n");
        }
    }

    // The operator's pages: for admin_networks only (loopback by default); to anyone
    // else they do not exist.
    void admin_page(const ConnectionPtr &connection, std::string_view path) {
        auto address = access::parse_address(remote_address(connection));
        bool allowed = address && std::any_of(admin_networks_.begin(), admin_networks_.end(),
                                              [&](const access::Network &n) { return n.contains(*address); });
        if (!allowed) {
            connection->set_status(ws::http::status_code::not_found);
            connection->set_body("Not found\n");
            return;
        }
        connection->append_header("Cache-Control", "no-cache");
        if (path == "/metrics") {
            connection->set_status(ws::http::status_code::ok);
            connection->append_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            connection->set_body(render_metrics_ ? render_metrics_() : std::string());
        } else if (path == "/health") {  // the io thread answers: the process is alive
            connection->set_status(ws::http::status_code::ok);
            connection->set_body("ok\n");
        } else {  // ready: accepting clients, not stopping
            bool ready = server_.is_listening() && !shutdown_done_;
            connection->set_status(ready ? ws::http::status_code::ok : ws::http::status_code::service_unavailable);
            connection->set_body(ready ? "ready\n" : "not ready\n");
        }
    }

    static bool on_endpoint_path(const std::string &resource) {
        std::string_view path(resource);
        path = path.substr(0, path.find('?'));
        return path == kEndpointPath;
    }

    void opened(ws::connection_hdl handle) {
        ConnectionPtr connection = server_.get_con_from_hdl(handle);
        connection->client_id = ++last_client_id_;
        connection->remote_address = remote_address(connection);
        ++connections_per_address_[connection->remote_address];
        connections_.emplace(connection->client_id, connection);
        events_->client_opened(connection->client_id, connection->get_remote_endpoint(), connection->dialect);
    }

    void closed(ws::connection_hdl handle) {
        ConnectionPtr connection = server_.get_con_from_hdl(handle);
        forget(connection);
    }

    void failed(ws::connection_hdl handle) {
        ConnectionPtr connection = server_.get_con_from_hdl(handle);
        logger_.debug("connection from " + connection->get_remote_endpoint() +
                      " failed: " + connection->get_ec().message());
        forget(connection);
    }

    void forget(const ConnectionPtr &connection) {
        gateway::ClientId client = connection->client_id;
        if (client == 0 || connections_.erase(client) == 0) return;  // never opened
        if (auto count = connections_per_address_.find(connection->remote_address);
            count != connections_per_address_.end() && --count->second == 0)
            connections_per_address_.erase(count);
        events_->client_closed(client);
        finish_shutdown_if_idle();
    }

    void message(ws::connection_hdl handle, typename Server::message_ptr message) {
        ConnectionPtr connection = server_.get_con_from_hdl(handle);
        if (message->get_opcode() != ws::frame::opcode::text) {
            std::string line = connection->warnings.admit("client " + connection->get_remote_endpoint() +
                                                          ": dropped a binary frame of " +
                                                          std::to_string(message->get_payload().size()) +
                                                          " bytes (sylkRTC uses text frames)");
            if (!line.empty()) logger_.warning(line);
            return;
        }
        events_->client_message(connection->client_id, message->get_payload());
    }

    void pong(ws::connection_hdl handle) { server_.get_con_from_hdl(handle)->awaiting_pong = false; }

    // One timer for all connections: every interval, a peer that did not answer the
    // previous ping is closed, the others are pinged again.
    void schedule_ping() {
        if (configuration_.websocket_ping_interval == 0) return;
        ping_timer_.expires_after(std::chrono::seconds(configuration_.websocket_ping_interval));
        ping_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            ping_all();
            schedule_ping();
        });
    }

    void ping_all() {
        std::vector<ConnectionPtr> silent;
        ws::lib::error_code ignored;
        for (auto &[id, connection] : connections_) {
            if (connection->awaiting_pong) {
                silent.push_back(connection);
                continue;
            }
            connection->awaiting_pong = true;
            connection->ping("", ignored);
        }
        for (auto &connection : silent) {  // close() may call back into connections_
            logger_.info("closing connection from " + connection->get_remote_endpoint() +
                         ": no answer to ping");
            connection->close(ws::close::status::going_away, "no answer to ping", ignored);
        }
    }

    void finish_shutdown_if_idle() {
        if (shutdown_done_ && connections_.empty()) {
            auto done = std::move(shutdown_done_);
            shutdown_done_ = nullptr;
            done();
        }
    }

    boost::asio::io_context &io_;
    const config::Configuration &configuration_;
    const log::Logger &logger_;
    stats::Counters &counters_;
    std::vector<access::Network> admin_networks_;
    std::function<std::string()> render_metrics_;
    Server server_;
    std::shared_ptr<SslContext> tls_context_;
    std::vector<std::string> allowed_origins_;
    gateway::ClientEvents *events_ = nullptr;
    std::unordered_map<gateway::ClientId, ConnectionPtr> connections_;
    std::unordered_map<std::string, std::size_t> connections_per_address_;  // open connections by peer IP
    log::LogBudget refusal_log_;
    gateway::ClientId last_client_id_ = 0;
    boost::asio::steady_timer ping_timer_;
    std::function<void()> shutdown_done_;
};

}  // namespace

std::unique_ptr<WebEndpoint> WebEndpoint::create(boost::asio::io_context &io,
                                                 const config::Configuration &configuration,
                                                 const log::Logger &logger, stats::Counters &counters) {
    if (configuration.uses_tls()) return std::make_unique<Endpoint<TlsConfig>>(io, configuration, logger, counters);
    return std::make_unique<Endpoint<PlainConfig>>(io, configuration, logger, counters);
}

}  // namespace sylk::web
