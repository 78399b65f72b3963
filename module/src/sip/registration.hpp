// One binding's REGISTER life: challenge answered from the HA1, expiry honoured and
// refreshed, 423 answered, failures retried with back-off, unbinding on stop.
// Lives on the libre thread only.
#pragma once

#include "access/address_policy.hpp"
#include "stats/counters.hpp"
#include "log/logger.hpp"
#include "sip/digest.hpp"
#include "sip/deadline_queue.hpp"
#include "sip/register_answer.hpp"
#include "sip/registration_types.hpp"
#include "sip/send_window.hpp"
#include "sip/udp_transactions.hpp"

#include <openssl/types.h>
#include <re.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sylk::sip {

struct RegistrationSettings {
    std::uint32_t expires = 600;              // asked of the registrar
    std::optional<std::string> route;         // outbound proxy URI ("sip:host:port;transport=x")
};

// What every Registration of one agent shares; owned by the agent, and destroyed before
// its SIP stack.
struct RegistrationContext {
    struct ::sip *stack;
    RegistrationSettings settings;
    RegistrationSink sink;
    SendWindow &window;
    DeadlineQueue &deadlines;
    const log::Logger &logger;
    const access::AddressPolicy &address_policy;  // where REGISTERs may go (DNS answers included)
    stats::Counters &counters;
    // libre's TLS context when registrars' certificates are checked against the route's
    // name (tls_verification.hpp): each TLS request tells it which domain it is for.
    SSL_CTX *registrar_tls = nullptr;
    // REGISTERs over UDP to an outbound proxy given as an IP address go through these
    // rather than libre's client transactions (see udp_transactions.hpp).
    std::unique_ptr<UdpTransactions> udp = std::make_unique<UdpTransactions>(stack);
    // settings.route decoded once by decode_route() (it points into that string), and
    // the proxy's address when REGISTERs can go to it over UDP without DNS.
    std::optional<struct uri> route_uri{};
    std::optional<struct sa> udp_proxy{};
};

// Fills route_uri and udp_proxy from settings.route. Returns false when the route is
// not a SIP URI (the configuration has validated it, so this is a programming error).
bool decode_route(RegistrationContext &context);

class Registration {
public:
    Registration(const RegistrationContext &context, BindingSpec spec);
    ~Registration();
    Registration(const Registration &) = delete;
    Registration &operator=(const Registration &) = delete;

    // Registers now (again, if already registered).
    void bind();
    // The binding's spec as the client now has it (push Contact parameters, User-Agent):
    // the next REGISTER carries it.
    void respecify(BindingSpec spec) {
        respecified_ = spec.contact_params != spec_.contact_params || spec.user_agent != spec_.user_agent;
        spec_ = std::move(spec);
    }
    // Removes the binding at the registrar if there is one; `done` runs once nothing
    // more will be sent (right away when there was nothing to remove).
    void unbind(std::function<void()> done);

    // The user part of the Contact it registers: INVITEs to it are this binding's calls.
    const std::string &contact_user() const { return contact_user_; }
    // Where its REGISTERs last went (the outbound proxy or the domain's registrar): the
    // only source its incoming INVITEs are taken from.
    const std::optional<struct sa> &registrar_address() const { return registrar_address_; }
    // The realm the registrar challenged it in, if it did: INVITE challenges in that realm
    // (or the account's domain) are answered, no other.
    std::optional<std::string> registrar_realm() const {
        return challenge_ ? std::optional<std::string>(challenge_->realm) : std::nullopt;
    }

private:
    enum class Phase { idle, binding, bound, retry_wait, unbinding, finished };

    void start_attempt();
    void end_attempt();
    void send();
    std::string request_headers();
    int send_over_udp(const struct sa &destination, const struct sa &local);
    void cancel_request();
    void on_response(int err, const struct sip_msg *message);
    void succeeded(const RegisterAnswer &reply);
    void failed(const std::string &reason, bool retry);
    void finish_unbind();
    void report(RegistrationState state, const std::string &reason = "");
    void schedule(std::uint64_t delay_ms);
    std::string local_failure_reason(int err) const;

    static int send_handler(enum sip_transp transport, const struct sa *source, const struct sa *destination,
                            struct mbuf *buffer, void *arg);
    static void response_handler(int err, const struct sip_msg *message, void *arg);
    void deadline_reached();

    const RegistrationContext &context_;
    BindingSpec spec_;
    std::uint32_t expires_ = 0;  // what to ask; raised by a 423

    // The REGISTERs' Call-ID and From tag (%016llx), and the next CSeq: what a libre
    // sip_dialog would hold, without its kilobyte of prepared headers per binding.
    std::uint64_t call_id_;
    std::uint64_t from_tag_;
    std::uint32_t cseq_;
    struct sip_request *request_ = nullptr;  // libre's transaction (TCP, TLS, or a route found by DNS)
    std::string contact_user_;
    std::optional<struct sa> registrar_address_;
    std::optional<std::uint64_t> bound_at_ms_;  // when the registrar last accepted it (libre jiffies)
    std::string contact_uri_;  // as sent, to find ours among the registrar's contacts
    bool respecified_ = false;  // the spec changed since the last REGISTER: the next is not folded

    Phase phase_ = Phase::idle;
    std::uint32_t expires_asked_ = 0;  // of this request; 0 when unbinding
    std::uint32_t granted_ = 0;
    bool min_expires_retried_ = false;

    std::optional<DigestChallenge> challenge_;
    bool challenge_from_proxy_ = false;
    std::uint32_t nonce_count_ = 0;
    bool answered_fresh_challenge_ = false;  // in this attempt
    bool stale_retried_ = false;             // in this attempt

    std::optional<RegistrationState> reported_;
    unsigned consecutive_failures_ = 0;
    std::function<void()> unbound_;
};

}  // namespace sylk::sip
