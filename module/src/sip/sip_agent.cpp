#include "sip/sip_agent.hpp"

#include "log/log_budget.hpp"
#include "loop/loop_inbox.hpp"
#include "loop/loop_thread.hpp"
#include "sip/deadline_queue.hpp"
#include "sip/dns_filter.hpp"
#include "sip/registration.hpp"
#include "sip/incoming_invite.hpp"
#include "sip/send_window.hpp"
#include "sip/sip_call.hpp"
#include "sip/sip_commands.hpp"
#include "sip/sip_text.hpp"
#include "sip/tls_verification.hpp"

#include <openssl/ssl.h>
#include <re.h>
// re_dbg.h expects these from the file including it.
#define DEBUG_MODULE "sylk"
#define DEBUG_LEVEL 0
#include <re_dbg.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

// re_tls.h declares this only under USE_OPENSSL; Debian's libre is built with OpenSSL.
extern "C" struct ssl_ctx_st *tls_openssl_context(const struct tls *tls);

namespace sylk::sip {

namespace {

// REGISTER transactions in flight at once (see SendWindow).
constexpr std::size_t kRegistrationsInFlight = 100;
// Outgoing INVITEs being set up at once (the same SendWindow): a burst of 500 at once
// overflowed the proxy's and the phone's UDP receive buffers on the test machine, and
// calls that lost their retransmissions too ended in 408. A slot frees at the final answer.
constexpr std::size_t kCallSetupsInFlight = 100;
constexpr std::uint32_t kClientTransactionBuckets = 8192;

const char *command_name(const SipCommand &command) {
    static const char *const names[] = {"register", "unregister", "remove", "place call", "answer call",
                                        "end call", "send DTMF", "answer update", "update call", "stop", "forget",
                                        "forget call"};
    static_assert(sizeof names / sizeof names[0] == std::variant_size_v<SipCommand>);
    return names[command.index()];
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
    Loop(const config::Configuration &configuration, const log::Logger &logger, stats::Counters &counters,
         RegistrationListener &registrations, CallListener &calls)
        : configuration_(configuration), logger_(logger), counters_(counters), listener_(registrations),
          call_listener_(calls) {
        tmr_init(&shutdown_timer_);
    }

    // What runs on the SIP thread around its loop. set_up throws the config::SettingError
    // that stops the start; the stop ends every call and unregisters before the loop ends.
    loop::LoopSteps steps() {
        return {[this] { set_up(); }, [this] { tear_down(); }, [this] { post(StopAgent{}); }};
    }

    const log::Logger &logger() const { return logger_; }

    // Any thread.
    void post(SipCommand command) {
        const char *name = command_name(command);
        switch (inbox_.post(std::move(command))) {
        case loop::PostResult::delivered_later: return;
        case loop::PostResult::closed:
            logger_.error(std::string("SIP side has stopped: a '") + name + "' command was not carried out");
            return;
        case loop::PostResult::wake_failed:
            logger_.error(std::string("cannot wake the SIP thread: a '") + name + "' command waits for the next one");
            return;
        }
    }

private:
    void set_up() {
        int err = inbox_.open([this](SipCommand &command) { handle(command); });
        if (err) throw config::SettingError("", std::string("cannot create the SIP command inbox: ") + std::strerror(err));
        set_up_dns();
        // Hash sizes: finished client transactions linger for seconds (timer K), so a busy
        // gateway holds thousands; small tables turn every response lookup into a long walk.
        err = sip_alloc(&stack_, dns_, kClientTransactionBuckets, 256, 256, "sylk-webrtcgateway", nullptr, nullptr);
        if (err) throw config::SettingError("", std::string("cannot start SIP: ") + std::strerror(err));
        RegistrationSettings settings;
        settings.expires = configuration_.register_expires;
        if (configuration_.outbound_sip_proxy) settings.route = configuration_.outbound_sip_proxy->route_uri();
        RegistrationSink sink = [this](const RegistrationUpdate &update) { listener_.registration_changed(update); };
        context_.emplace(
            RegistrationContext{stack_, settings, std::move(sink), window_, *deadlines_, logger_, address_policy_, counters_});
        if (!decode_route(*context_))
            throw config::SettingError("outbound_sip_proxy", "'" + *settings.route + "' is not a SIP URI");
        set_up_transports();
        // Calls' own dialogs first (outgoing calls, and the offers in answered incoming
        // ones): sipsess's listeners claim every in-dialog request and every 2xx to an
        // INVITE, theirs or not.
        err = sip_listen(&dialog_requests_, stack_, true, dialog_request_handler, this);
        if (!err) err = sip_listen(&dialog_responses_, stack_, false, dialog_response_handler, this);
        if (!err) err = sipsess_listen(&sessions_, stack_, 1024, incoming_call_handler, this);
        if (err) throw config::SettingError("", std::string("cannot accept SIP calls: ") + std::strerror(err));
        call_context_.emplace(CallContext{stack_, sessions_, settings.route,
                                          [this](const CallUpdate &update) { call_reported(update); },
                                          [this](CallId call) { post(ForgetCall{call}); },
                                          [this](CallId call) { invite_window_.release(call); }, logger_,
                                          call_dialogs_});
    }

    void set_up_dns() {
        struct sa servers[8];
        std::uint32_t count = 0;
        for (const auto &server : configuration_.dns_servers) {
            if (count == 8) break;
            if (sa_decode(&servers[count], server.c_str(), server.size()) != 0 &&
                sa_set_str(&servers[count], server.c_str(), 53) != 0)
                throw config::SettingError("dns_servers", "'" + server + "' is not ip[:port]");
            ++count;
        }
        if (configuration_.dns_servers.empty()) {
            char domain[64] = "";
            count = 8;
            if (dns_srv_get(domain, sizeof domain, servers, &count) != 0) count = 0;  // no resolv.conf: no DNS
        }
        // Every answer passes the DNS filter on its way to libre (dns_filter.hpp).
        if (count) {
            dns_filter_ = std::make_unique<DnsFilter>(address_policy_, logger_, counters_);
            if (int err = dns_filter_->start(servers, count))
                throw config::SettingError("dns_servers", std::string("cannot start the DNS filter: ") + std::strerror(err));
        }
        int err = dnsc_alloc(&dns_, nullptr, count ? &dns_filter_->address() : nullptr, count ? 1 : 0);
        if (err) throw config::SettingError("dns_servers", std::string("cannot start DNS: ") + std::strerror(err));
    }

    void set_up_transports() {
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
                throw config::SettingError("sip_listen_address",
                                                "'" + configuration_.sip_listen_address + "' is not an IP address");
            int err;
            if (entry.transport == SIP_TRANSP_TLS) {
                set_up_tls();
                err = sip_transp_add(stack_, entry.transport, &address, tls_);
            } else {
                err = sip_transp_add(stack_, entry.transport, &address);
            }
            if (err)
                throw config::SettingError(entry.setting, std::string("cannot listen for SIP ") +
                                                                   sip_transp_name(entry.transport) + " on " +
                                                                   configuration_.sip_listen_address + ":" +
                                                                   std::to_string(entry.port) + ": " + std::strerror(err));
            logger_.info(std::string("SIP listening on ") + sip_transp_name(entry.transport) + " " +
                         configuration_.sip_listen_address + ":" + std::to_string(entry.port));
        }
    }

    void set_up_tls() {
        const char *certificate = configuration_.sip_tls_certificate.empty() ? nullptr
                                                                              : configuration_.sip_tls_certificate.c_str();
        int err = tls_alloc(&tls_, TLS_METHOD_SSLV23, certificate, nullptr);
        if (err)
            throw config::SettingError("sip_tls_certificate",
                                            "cannot load '" + configuration_.sip_tls_certificate + "': " + std::strerror(err));
        // libre's SIP transport never verifies anything itself: everything is set on its SSL_CTX.
        RegistrarTlsSettings verification;
        verification.verify_server = configuration_.sip_tls_verify_server;
        verification.ca_file = configuration_.sip_tls_ca_file;
        if (configuration_.outbound_sip_proxy) verification.server_name = configuration_.outbound_sip_proxy->host;
        configure_registrar_tls(tls_openssl_context(tls_), verification, logger_);
        context_->registrar_tls = tls_openssl_context(tls_);
    }

    void tear_down() {
        tmr_cancel(&shutdown_timer_);
        // Forgetting is the loop's own bookkeeping; anything else still queued was asked
        // of a SIP side that has ended (unregister_timeout passed): say so.
        std::vector<SipCommand> unhandled = inbox_.close();
        auto not_done = std::count_if(unhandled.begin(), unhandled.end(), [](const SipCommand &command) {
            return !std::holds_alternative<ForgetBinding>(command) && !std::holds_alternative<ForgetCall>(command);
        });
        if (not_done)
            logger_.error(std::to_string(not_done) + " SIP commands arrived after the SIP side stopped; not carried out");
        calls_.clear();  // each sends its CANCEL, BYE or 486 as it goes
        call_deadlines_.reset();
        call_context_.reset();
        sessions_ = static_cast<struct sipsess_sock *>(mem_deref(sessions_));
        dialog_requests_ = static_cast<struct sip_lsnr *>(mem_deref(dialog_requests_));
        dialog_responses_ = static_cast<struct sip_lsnr *>(mem_deref(dialog_responses_));
        binding_by_contact_.clear();
        registrations_.clear();
        context_.reset();
        deadlines_.reset();
        if (stack_) sip_close(stack_, true);
        stack_ = static_cast<struct ::sip *>(mem_deref(stack_));
        tls_ = static_cast<struct tls *>(mem_deref(tls_));
        dns_ = static_cast<struct dnsc *>(mem_deref(dns_));
        dns_filter_.reset();
    }

    void handle(SipCommand &command) {
        std::visit([this](auto &typed) { handle(typed); }, command);
    }

    void handle(RegisterBinding &command) {
        if (shutting_down_) {  // the web side has closed every connection by now; say so all the same
            listener_.registration_changed({command.spec.id, RegistrationState::failed, "503 gateway stopping"});
            return;
        }
        BindingId id = command.spec.id;
        auto &slot = registrations_[id];
        if (!slot) {
            slot = std::make_unique<Registration>(*context_, std::move(command.spec));
            binding_by_contact_[slot->contact_user()] = id;
        } else {
            slot->respecify(std::move(command.spec));  // a new push token or User-Agent
        }
        slot->bind();
    }

    void handle(const UnregisterBinding &command) {
        if (auto it = registrations_.find(command.binding); it != registrations_.end()) it->second->unbind(nullptr);
    }

    void handle(const RemoveBinding &command) {
        if (registrations_.count(command.binding) && !removing_.count(command.binding)) remove(command.binding);
    }

    void handle(const ForgetBinding &command) {
        if (auto it = registrations_.find(command.binding); it != registrations_.end())
            binding_by_contact_.erase(it->second->contact_user());
        registrations_.erase(command.binding);
        window_.start_waiting();  // its slot was freed as it went
        removing_.erase(command.binding);
        if (shutting_down_ && removing_.empty()) re_cancel();
    }

    void handle(PlaceCall &command) {
        CallId id = command.spec.id;
        if (shutting_down_) return end_unplaced(id, "503 gateway stopping");  // one `ended`, this one too
        waiting_calls_.insert(id);
        std::string owner = command.spec.owner;
        invite_window_.acquire(
            id, [this, spec = std::move(command.spec)]() mutable { start_call(std::move(spec)); }, owner);
    }

    void start_call(OutgoingCallSpec spec) {
        CallId id = spec.id;
        if (auto binding = registrations_.find(spec.binding); binding != registrations_.end())
            if (auto realm = binding->second->registrar_realm()) spec.realms.push_back(*realm);
        waiting_calls_.erase(id);
        if (shutting_down_) {
            invite_window_.release(id);
            return end_unplaced(id, "503 gateway stopping");
        }
        auto binding = registrations_.find(spec.binding);
        std::string contact_user = binding != registrations_.end() ? binding->second->contact_user()
                                                                   : "gw-call-" + std::to_string(id);
        auto call = std::make_unique<SipCall>(*call_context_, std::move(spec), std::move(contact_user));
        calls_[id] = std::move(call);
        start_setup_timer(id);
    }

    // RFC 3261 Timer C, from our side: a call that rings for call_setup_timeout ends
    // (CANCEL, or 480 for an incoming one) with a reason, and frees what it holds.
    void start_setup_timer(CallId id) {
        call_deadlines_->schedule(id, configuration_.call_setup_timeout * 1000ull, [this, id] {
            counters_.refused(stats::Refusal::call_setup_timeout);
            if (auto it = calls_.find(id); it != calls_.end())
                it->second->give_up("408 Request Timeout (not answered within " +
                                    std::to_string(configuration_.call_setup_timeout) + " s)");
        });
    }

    // Every call report goes to the web side; an outgoing call's final answer (or its
    // end) frees its setup slot for the next waiting INVITE.
    void call_reported(const CallUpdate &update) {
        call_listener_.call_changed(update);
        if (update.kind == CallUpdate::Kind::answered || update.kind == CallUpdate::Kind::ended) {
            invite_window_.release(update.id);
            call_deadlines_->cancel(update.id);
        }
    }

    // A call that never got as far as its INVITE still ends with exactly one `ended`.
    void end_unplaced(CallId id, const char *reason) {
        CallUpdate ended;
        ended.id = id;
        ended.reason = reason;
        call_listener_.call_changed(ended);
    }

    void handle(AnswerCall &command) {
        call_deadlines_->cancel(command.call);
        if (auto it = calls_.find(command.call); it != calls_.end()) it->second->answer(command.sdp, command.extra_headers);
    }

    void handle(const EndCall &command) {
        if (waiting_calls_.erase(command.call)) {  // still waiting for a setup slot: nothing was sent
            invite_window_.release(command.call);
            return end_unplaced(command.call, "487 Request Terminated");
        }
        if (auto it = calls_.find(command.call); it != calls_.end()) it->second->end(command.decline_code);
    }

    void handle(const SendDtmf &command) {
        if (auto it = calls_.find(command.call); it != calls_.end()) it->second->send_dtmf(command.digit, command.duration_ms);
    }

    void handle(AnswerUpdate &command) {
        if (auto it = calls_.find(command.call); it != calls_.end())
            it->second->answer_update(command.update_seq, command.code, command.sdp);
    }

    void handle(UpdateCall &command) {
        if (auto it = calls_.find(command.call); it != calls_.end()) it->second->update(command.sdp);
    }

    void handle(const ForgetCall &command) { calls_.erase(command.call); }

    // An INVITE outside any dialog: a call for the binding whose Contact it names.
    static bool dialog_request_handler(const struct sip_msg *message, void *arg) {
        auto *self = static_cast<Loop *>(arg);
        auto dialog = self->call_dialogs_.find(pl_text(message->callid));
        return dialog != self->call_dialogs_.end() && dialog->second->take_request(*message);
    }

    static bool dialog_response_handler(const struct sip_msg *message, void *arg) {
        auto *self = static_cast<Loop *>(arg);
        auto dialog = self->call_dialogs_.find(pl_text(message->callid));
        return dialog != self->call_dialogs_.end() && dialog->second->take_response(*message);
    }

    static void incoming_call_handler(const struct sip_msg *message, void *arg) {
        static_cast<Loop *>(arg)->incoming_call(message);
    }

    void incoming_call(const struct sip_msg *message) {
        auto known = binding_by_contact_.find(invite_contact_user(*message));
        auto binding = known == binding_by_contact_.end() ? registrations_.end() : registrations_.find(known->second);
        if (shutting_down_ || binding == registrations_.end() || removing_.count(binding->first)) {
            (void)sip_treply(nullptr, stack_, message, 404, "Not Found");
            return;
        }
        // Only the registrar (or the outbound proxy) may reach a binding: a direct INVITE
        // would skip its authentication and its blocklists.
        const auto &registrar = binding->second->registrar_address();
        if (!registrar || !sa_cmp(&*registrar, &message->src, SA_ADDR)) {
            char source[64] = "?";
            (void)sa_ntop(&message->src, source, sizeof source);
            counters_.refused(stats::Refusal::incoming_source);
            if (std::string line = refusal_log_.admit(std::string("refused an INVITE from ") + source +
                                                      ": not the binding's registrar");
                !line.empty())
                logger_.info(line);
            (void)sip_treply(nullptr, stack_, message, 403, "Forbidden");
            return;
        }
        // Its body goes to the web side as it came: whether it can be bridged (else 488)
        // is the call's decision (call::CallSession), and its SDP is read there once.
        CallId id = kIncomingCallBit | ++last_incoming_call_;
        calls_[id] = std::make_unique<SipCall>(*call_context_, id, binding->first, message, binding->second->contact_user());
        start_setup_timer(id);
    }

    void handle(const StopAgent &) {
        if (shutting_down_) return;
        shutting_down_ = true;
        // Calls still waiting for a setup slot end without an INVITE.
        for (CallId id : std::vector<CallId>(waiting_calls_.begin(), waiting_calls_.end())) {
            invite_window_.release(id);
            end_unplaced(id, "503 gateway stopping");
        }
        waiting_calls_.clear();
        // Every call ends first (CANCEL, BYE or 486): their clients are gone.
        std::vector<CallId> open_calls;
        for (const auto &[id, call] : calls_) open_calls.push_back(id);
        for (CallId id : open_calls) calls_[id]->end(486);
        for (auto &[binding, registration] : registrations_)
            if (!removing_.count(binding)) remove(binding);
        if (removing_.empty()) return re_cancel();
        logger_.info("unregistering " + std::to_string(removing_.size()) + " bindings before stopping");
        tmr_start(&shutdown_timer_, configuration_.unregister_timeout * 1000ull, shutdown_timeout, this);
    }

    void remove(BindingId binding) {
        removing_.insert(binding);
        registrations_[binding]->unbind([this, binding] { post(ForgetBinding{binding}); });
    }

    static void shutdown_timeout(void *arg) {
        auto *self = static_cast<Loop *>(arg);
        self->logger_.warning(std::to_string(self->removing_.size()) +
                              " registrations were not removed within unregister_timeout");
        re_cancel();
    }

    const config::Configuration &configuration_;
    const log::Logger &logger_;
    stats::Counters &counters_;
    RegistrationListener &listener_;
    CallListener &call_listener_;
    SendWindow window_{kRegistrationsInFlight};
    SendWindow invite_window_{kCallSetupsInFlight};  // keyed by CallId
    std::unordered_set<CallId> waiting_calls_;       // placed, waiting for a slot in it
    // Freed in tear_down, on the SIP thread: its libre timer belongs to that thread's loop.
    std::unique_ptr<DeadlineQueue> deadlines_ = std::make_unique<DeadlineQueue>();
    std::unique_ptr<DeadlineQueue> call_deadlines_ = std::make_unique<DeadlineQueue>();  // setup timeouts, by CallId
    const access::AddressPolicy address_policy_{
        access::gateway_policy(configuration_.allowed_networks, configuration_.own_addresses())};
    log::LogBudget refusal_log_;  // refused INVITEs: strangers choose how many
    std::optional<RegistrationContext> context_;
    loop::LoopInbox<SipCommand> inbox_;
    struct dnsc *dns_ = nullptr;
    std::unique_ptr<DnsFilter> dns_filter_;  // between dns_ and the DNS servers; freed on the SIP thread
    struct ::sip *stack_ = nullptr;
    struct tls *tls_ = nullptr;
    struct tmr shutdown_timer_ {};
    std::unordered_map<BindingId, std::unique_ptr<Registration>> registrations_;
    std::unordered_map<std::string, BindingId> binding_by_contact_;  // Contact user -> binding, for INVITEs
    std::unordered_set<BindingId> removing_;  // unregistering, to be forgotten
    struct sipsess_sock *sessions_ = nullptr;  // incoming calls
    struct sip_lsnr *dialog_requests_ = nullptr;   // requests in calls' dialogs (CallDialogs)
    struct sip_lsnr *dialog_responses_ = nullptr;  // retransmitted 2xx to their INVITEs
    CallDialogs call_dialogs_;
    std::optional<CallContext> call_context_;
    std::unordered_map<CallId, std::unique_ptr<SipCall>> calls_;
    CallId last_incoming_call_ = 0;
    bool shutting_down_ = false;
};

SipAgent::SipAgent(const config::Configuration &configuration, const log::Logger &logger, stats::Counters &counters,
                   RegistrationListener &registrations, CallListener &calls)
    : loop_(std::make_unique<Loop>(configuration, logger, counters, registrations, calls)) {}

SipAgent::~SipAgent() {
    try {
        stop();
    } catch (...) {
        try {  // even the log line may fail to allocate; nothing may leave a destructor
            std::string what = "unknown error";
            try {
                throw;
            } catch (const std::exception &error) {
                what = error.what();
            } catch (...) {
            }
            loop_->logger().error("stopping the SIP side failed: " + what);
        } catch (...) {
        }
    }
}

void SipAgent::start() {
    initialise_libre_once();
    route_libre_output(&loop_->logger());
    try {
        // "sylk-sip" in top -H, perf and /proc/PID/task; libre's own descriptor limit.
        thread_.start({"sylk-sip", std::nullopt, {}}, loop_->steps());  // rethrows the set-up's config::SettingError
    } catch (...) {
        route_libre_output(nullptr);
        throw;
    }
}

void SipAgent::stop() {
    if (thread_.stop()) route_libre_output(nullptr);
}

void SipAgent::register_binding(BindingSpec spec) { loop_->post(RegisterBinding{std::move(spec)}); }

void SipAgent::unregister_binding(BindingId binding) { loop_->post(UnregisterBinding{binding}); }

void SipAgent::remove_binding(BindingId binding) { loop_->post(RemoveBinding{binding}); }

void SipAgent::place_call(OutgoingCallSpec spec) { loop_->post(PlaceCall{std::move(spec)}); }

void SipAgent::answer_call(CallId call, std::string sdp, std::string extra_headers) {
    loop_->post(AnswerCall{call, std::move(sdp), std::move(extra_headers)});
}

void SipAgent::end_call(CallId call, std::uint16_t decline_code) { loop_->post(EndCall{call, decline_code}); }
void SipAgent::send_dtmf(CallId call, char digit, unsigned duration_ms) {
    loop_->post(SendDtmf{call, digit, duration_ms});
}

void SipAgent::answer_update(CallId call, std::uint32_t update_seq, std::uint16_t code, std::string sdp) {
    loop_->post(AnswerUpdate{call, update_seq, code, std::move(sdp)});
}

void SipAgent::update_call(CallId call, std::string sdp) { loop_->post(UpdateCall{call, std::move(sdp)}); }

}  // namespace sylk::sip
