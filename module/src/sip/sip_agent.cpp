#include "sip/sip_agent.hpp"

#include "sip/deadline_queue.hpp"
#include "sip/registration.hpp"
#include "sip/send_window.hpp"

#include <openssl/ssl.h>
#include <re.h>
// re_dbg.h expects these from the file including it.
#define DEBUG_MODULE "sylk"
#define DEBUG_LEVEL 0
#include <re_dbg.h>

#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

// re_tls.h declares this only under USE_OPENSSL; Debian's libre is built with OpenSSL.
extern "C" struct ssl_ctx_st *tls_openssl_context(const struct tls *tls);

namespace sylk::sip {

namespace {

enum CommandKind { kBind, kUnbind, kRemove, kForget, kShutdown };

// REGISTER transactions in flight at once (see SendWindow).
constexpr std::size_t kRegistrationsInFlight = 100;
constexpr std::uint32_t kClientTransactionBuckets = 8192;

struct Command {
    BindingSpec spec;  // kBind
    BindingId binding = 0;
};

// "host[:port][;transport=x]" (with or without "sip:") -> the Route URI.
std::string route_uri(std::string proxy) {
    if (proxy.rfind("sip:", 0) == 0) proxy = proxy.substr(4);
    return "sip:" + proxy;  // sip_dialog_alloc marks it ;lr itself
}

void initialise_libre_once() {
    static std::once_flag once;
    std::call_once(once, [] { libre_init(); });  // process-wide; never closed (other threads may use it)
}

// libre prints its own warnings through one process-wide hook; they go to the log of
// the agent that runs (the last one started, when a host runs several).
std::mutex libre_log_mutex;
const log::Logger *libre_logger = nullptr;

void forward_libre_output(int level, const char *text, size_t length, void *) {
    std::string line(text, length);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    std::lock_guard<std::mutex> lock(libre_log_mutex);
    if (libre_logger && !line.empty())
        libre_logger->write(level <= DBG_WARNING ? SYLK_LOG_WARNING : SYLK_LOG_DEBUG, "libre: " + line);
}

void route_libre_output(const log::Logger *logger) {
    std::lock_guard<std::mutex> lock(libre_log_mutex);
    if (logger) {
        dbg_init(DBG_WARNING, DBG_NONE);  // no colours, no timestamps: the host's log adds its own
        dbg_handler_set(forward_libre_output, nullptr);
    }
    libre_logger = logger;
}

}  // namespace

class SipAgent::Loop {
public:
    Loop(const config::Configuration &configuration, const log::Logger &logger, RegistrationSink sink)
        : configuration_(configuration), logger_(logger), sink_(std::move(sink)) {
        tmr_init(&shutdown_timer_);
    }

    // Runs on the SIP thread from start to end.
    void run(std::promise<config::SettingError *> &started) {
        re_thread_init();
        config::SettingError *failure = set_up();
        bool ok = failure == nullptr;
        started.set_value(failure);
        if (ok) re_main(nullptr);
        tear_down();
        re_thread_close();
    }

    const log::Logger &logger() const { return logger_; }

    void push(CommandKind kind, Command *command) {
        if (mqueue_push(queue_, kind, command) != 0) delete command;
    }

private:
    config::SettingError *set_up() {
        int err = mqueue_alloc(&queue_, command_handler, this);
        if (err) return new config::SettingError("", "cannot create the SIP command queue");
        if (auto *failure = set_up_dns()) return failure;
        // Hash sizes: finished client transactions linger for seconds (timer K), so a busy
        // gateway holds thousands; small tables turn every response lookup into a long walk.
        err = sip_alloc(&stack_, dns_, kClientTransactionBuckets, 256, 256, "sylk-webrtcgateway", nullptr, nullptr);
        if (err) return new config::SettingError("", std::string("cannot start SIP: ") + std::strerror(err));
        RegistrationSettings settings;
        settings.expires = configuration_.register_expires;
        if (configuration_.outbound_sip_proxy) settings.route = route_uri(*configuration_.outbound_sip_proxy);
        context_.emplace(RegistrationContext{stack_, settings, sink_, window_, *deadlines_, logger_});
        return set_up_transports();
    }

    config::SettingError *set_up_dns() {
        struct sa servers[8];
        std::uint32_t count = 0;
        for (const auto &server : configuration_.dns_servers) {
            if (count == 8) break;
            if (sa_decode(&servers[count], server.c_str(), server.size()) != 0 &&
                sa_set_str(&servers[count], server.c_str(), 53) != 0)
                return new config::SettingError("dns_servers", "'" + server + "' is not ip[:port]");
            ++count;
        }
        if (configuration_.dns_servers.empty()) {
            char domain[64] = "";
            count = 8;
            if (dns_srv_get(domain, sizeof domain, servers, &count) != 0) count = 0;  // no resolv.conf: no DNS
        }
        int err = dnsc_alloc(&dns_, nullptr, count ? servers : nullptr, count);
        if (err) return new config::SettingError("dns_servers", std::string("cannot start DNS: ") + std::strerror(err));
        return nullptr;
    }

    config::SettingError *set_up_transports() {
        struct {
            enum sip_transp transport;
            std::uint16_t port;
            const char *setting;
        } wanted[] = {{SIP_TRANSP_UDP, configuration_.sip_udp_port, "sip_udp_port"},
                      {SIP_TRANSP_TCP, configuration_.sip_tcp_port, "sip_tcp_port"},
                      {SIP_TRANSP_TLS, configuration_.sip_tls_port, "sip_tls_port"}};
        for (const auto &entry : wanted) {
            if (entry.port == 0) continue;
            struct sa address;
            if (sa_set_str(&address, configuration_.sip_listen_address.c_str(), entry.port) != 0)
                return new config::SettingError("sip_listen_address",
                                                "'" + configuration_.sip_listen_address + "' is not an IP address");
            int err;
            if (entry.transport == SIP_TRANSP_TLS) {
                if (auto *failure = set_up_tls()) return failure;
                err = sip_transp_add(stack_, entry.transport, &address, tls_);
            } else {
                err = sip_transp_add(stack_, entry.transport, &address);
            }
            if (err)
                return new config::SettingError(entry.setting, std::string("cannot listen for SIP ") +
                                                                   sip_transp_name(entry.transport) + " on " +
                                                                   configuration_.sip_listen_address + ":" +
                                                                   std::to_string(entry.port) + ": " + std::strerror(err));
            logger_.info(std::string("SIP listening on ") + sip_transp_name(entry.transport) + " " +
                         configuration_.sip_listen_address + ":" + std::to_string(entry.port));
        }
        return nullptr;
    }

    config::SettingError *set_up_tls() {
        const char *certificate = configuration_.sip_tls_certificate.empty() ? nullptr
                                                                              : configuration_.sip_tls_certificate.c_str();
        int err = tls_alloc(&tls_, TLS_METHOD_SSLV23, certificate, nullptr);
        if (err)
            return new config::SettingError("sip_tls_certificate",
                                            "cannot load '" + configuration_.sip_tls_certificate + "': " + std::strerror(err));
        if (!configuration_.sip_tls_ca_file.empty()) {
            if (tls_add_ca(tls_, configuration_.sip_tls_ca_file.c_str()) != 0)
                return new config::SettingError("sip_tls_ca_file", "cannot load '" + configuration_.sip_tls_ca_file + "'");
            // libre's SIP transport never asks for verification itself: require a certificate
            // chain from these CAs (the host name is not checked: libre 1.1.0 gives no hook for it).
            SSL_CTX_set_verify(tls_openssl_context(tls_), SSL_VERIFY_PEER, nullptr);
        }
        return nullptr;
    }

    void tear_down() {
        tmr_cancel(&shutdown_timer_);
        registrations_.clear();
        context_.reset();
        deadlines_.reset();
        if (stack_) sip_close(stack_, true);
        stack_ = static_cast<struct ::sip *>(mem_deref(stack_));
        tls_ = static_cast<struct tls *>(mem_deref(tls_));
        dns_ = static_cast<struct dnsc *>(mem_deref(dns_));
        queue_ = static_cast<struct mqueue *>(mem_deref(queue_));
    }

    static void command_handler(int kind, void *data, void *arg) {
        std::unique_ptr<Command> command(static_cast<Command *>(data));
        static_cast<Loop *>(arg)->handle(static_cast<CommandKind>(kind), *command);
    }

    void handle(CommandKind kind, Command &command) {
        switch (kind) {
        case kBind: {
            if (shutting_down_) return;
            auto &slot = registrations_[command.spec.id];
            if (!slot)
                slot = std::make_unique<Registration>(*context_, command.spec);
            slot->bind();
            return;
        }
        case kUnbind:
            if (auto it = registrations_.find(command.binding); it != registrations_.end()) it->second->unbind(nullptr);
            return;
        case kRemove:
            if (registrations_.count(command.binding)) remove(command.binding);
            return;
        case kForget:
            registrations_.erase(command.binding);
            removing_.erase(command.binding);
            if (shutting_down_ && removing_.empty()) re_cancel();
            return;
        case kShutdown:
            shutting_down_ = true;
            for (auto &[binding, registration] : registrations_)
                if (!removing_.count(binding)) remove(binding);
            if (removing_.empty()) return re_cancel();
            tmr_start(&shutdown_timer_, configuration_.unregister_timeout * 1000ull, shutdown_timeout, this);
            return;
        }
    }

    void remove(BindingId binding) {
        removing_.insert(binding);
        // Forgotten through the queue: never destroy a Registration from inside its own callback.
        registrations_[binding]->unbind([this, binding] { push(kForget, new Command{{}, binding}); });
    }

    static void shutdown_timeout(void *arg) {
        auto *self = static_cast<Loop *>(arg);
        self->logger_.warning(std::to_string(self->removing_.size()) +
                              " registrations were not removed within unregister_timeout");
        re_cancel();
    }

    const config::Configuration &configuration_;
    const log::Logger &logger_;
    RegistrationSink sink_;
    SendWindow window_{kRegistrationsInFlight};
    // Freed in tear_down, on the SIP thread: its libre timer belongs to that thread's loop.
    std::unique_ptr<DeadlineQueue> deadlines_ = std::make_unique<DeadlineQueue>();
    std::optional<RegistrationContext> context_;
    struct mqueue *queue_ = nullptr;
    struct dnsc *dns_ = nullptr;
    struct ::sip *stack_ = nullptr;
    struct tls *tls_ = nullptr;
    struct tmr shutdown_timer_ {};
    std::unordered_map<BindingId, std::unique_ptr<Registration>> registrations_;
    std::unordered_set<BindingId> removing_;  // unregistering, to be forgotten
    bool shutting_down_ = false;
};

SipAgent::SipAgent(const config::Configuration &configuration, const log::Logger &logger, RegistrationSink sink)
    : loop_(std::make_unique<Loop>(configuration, logger, std::move(sink))) {}

SipAgent::~SipAgent() {
    if (thread_.joinable()) stop();
}

void SipAgent::start() {
    initialise_libre_once();
    route_libre_output(&loop_->logger());
    std::promise<config::SettingError *> started;
    auto result = started.get_future();
    thread_ = std::thread([this, &started] { loop_->run(started); });
    std::unique_ptr<config::SettingError> failure(result.get());
    if (failure) {
        thread_.join();
        route_libre_output(nullptr);
        throw config::SettingError(*failure);
    }
}

void SipAgent::stop() {
    if (!thread_.joinable()) return;
    loop_->push(kShutdown, new Command{});
    thread_.join();
    route_libre_output(nullptr);
}

void SipAgent::register_binding(BindingSpec spec) { loop_->push(kBind, new Command{std::move(spec), 0}); }

void SipAgent::unregister_binding(BindingId binding) { loop_->push(kUnbind, new Command{{}, binding}); }

void SipAgent::remove_binding(BindingId binding) { loop_->push(kRemove, new Command{{}, binding}); }

}  // namespace sylk::sip
