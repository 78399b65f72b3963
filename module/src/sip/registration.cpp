#include "sip/registration.hpp"

#include "sip/sip_text.hpp"
#include "sip/tls_verification.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace sylk::sip {

namespace {

constexpr std::uint64_t kFirstRetryMs = 5000;
constexpr std::uint64_t kLongestRetryMs = 300000;
// A client's `register` this soon after a successful REGISTER changes nothing at the
// registrar: it is folded into that one.
constexpr std::uint64_t kReRegisterHoldOffMs = 5000;

// The outbound proxy's address when REGISTERs can go over UDP to it without DNS: an IP
// address, transport=udp or no transport (libre's first choice, UDP when it listens on
// UDP; the caller checks that it does), no maddr.
std::optional<struct sa> fixed_udp_destination(const struct uri &route) {
    struct pl value;
    if (!msg_param_decode(&route.params, "maddr", &value)) return std::nullopt;
    if (!msg_param_decode(&route.params, "transport", &value) && pl_strcasecmp(&value, "udp")) return std::nullopt;
    struct sa destination;
    if (sa_set(&destination, &route.host, sip_transp_port(SIP_TRANSP_UDP, route.port))) return std::nullopt;
    return destination;
}

// Refresh well before expiry: 30 s early for long bindings, halfway for short ones.
std::uint64_t refresh_delay_ms(std::uint32_t granted) {
    return granted > 60 ? (granted - 30) * 1000ull : std::max<std::uint64_t>(500, granted * 500ull);
}

}  // namespace

const char *to_string(RegistrationState state) {
    switch (state) {
    case RegistrationState::registering: return "registering";
    case RegistrationState::registered: return "registered";
    case RegistrationState::unregistered: return "unregistered";
    case RegistrationState::failed: return "failed";
    }
    return "failed";
}

bool decode_route(RegistrationContext &context) {
    if (!context.settings.route) return true;
    struct pl text;
    pl_set_str(&text, context.settings.route->c_str());
    struct uri route;
    if (uri_decode(&route, &text)) return false;
    context.route_uri = route;
    context.udp_proxy = fixed_udp_destination(route);
    return true;
}

Registration::Registration(const RegistrationContext &context, BindingSpec spec)
    : context_(context), spec_(std::move(spec)), expires_(context.settings.expires), call_id_(rand_u64()),
      from_tag_(rand_u64()), cseq_(rand_u16()), contact_user_("gw-" + random_hex()) {}

Registration::~Registration() {
    // Only frees the window's slot: starting the next binding's REGISTER from a
    // destructor could throw; the agent starts waiting ones after erasing this.
    context_.window.abandon(spec_.id);
    context_.deadlines.cancel(spec_.id);
    mem_deref(request_);
    if (context_.udp) context_.udp->cancel(call_id_);
}

void Registration::cancel_request() {
    request_ = static_cast<struct sip_request *>(mem_deref(request_));
    if (context_.udp) context_.udp->cancel(call_id_);
}

void Registration::bind() {
    // A register while one is already under way (sent, or waiting for the window) folds
    // into it, and so does one within kReRegisterHoldOffMs of the last successful
    // REGISTER: a storm of `register` requests costs one REGISTER, however slowly the
    // gateway gets through it.
    // A new spec (a push token) is never folded: the registrar must see it.
    bool respecified = std::exchange(respecified_, false);
    if (phase_ == Phase::binding && !respecified) return;
    if (phase_ == Phase::bound && !respecified && bound_at_ms_ && tmr_jiffies() - *bound_at_ms_ < kReRegisterHoldOffMs)
        return;
    if (phase_ == Phase::unbinding) unbound_ = nullptr;  // a new register wins over a pending unregister
    context_.deadlines.cancel(spec_.id);
    cancel_request();
    end_attempt();
    if (!reported_ || *reported_ != RegistrationState::registered) report(RegistrationState::registering);
    expires_asked_ = expires_;
    min_expires_retried_ = false;
    phase_ = Phase::binding;
    start_attempt();
}

void Registration::unbind(std::function<void()> done) {
    context_.deadlines.cancel(spec_.id);
    bool may_be_bound = phase_ == Phase::bound || phase_ == Phase::binding || phase_ == Phase::unbinding ||
                        (phase_ == Phase::retry_wait && granted_ > 0);
    cancel_request();
    end_attempt();
    if (!may_be_bound) {
        phase_ = Phase::finished;
        if (done) done();
        return;
    }
    unbound_ = std::move(done);
    expires_asked_ = 0;
    phase_ = Phase::unbinding;
    start_attempt();
}

void Registration::start_attempt() {
    context_.window.acquire(
        spec_.id,
        [this] {
            answered_fresh_challenge_ = false;
            stale_retried_ = false;
            send();
        },
        spec_.owner);
}

void Registration::end_attempt() { context_.window.release(spec_.id); }

void Registration::send() {
    struct sa local;
    if (context_.udp_proxy && context_.udp && context_.udp->listening() &&
        !sip_transp_laddr(context_.stack, &local, SIP_TRANSP_UDP, &*context_.udp_proxy)) {
        if (int err = send_over_udp(*context_.udp_proxy, local)) failed(local_failure_reason(err), true);
        return;
    }
    // libre's transaction: TCP or TLS, or the domain's own servers found by DNS (RFC 3263).
    std::string registrar = "sip:" + spec_.domain;
    int err = sip_requestf(&request_, context_.stack, true, "REGISTER", registrar.c_str(),
                           context_.route_uri ? &*context_.route_uri : nullptr, nullptr, send_handler, response_handler, this,
                           "%s", request_headers().c_str());
    if (err) failed(local_failure_reason(err), true);
}

// Everything after Via, Contact and Max-Forwards, in the order libre's dialog requests use.
std::string Registration::request_headers() {
    std::string aor = "sip:" + spec_.user + "@" + spec_.domain;
    char line[128];
    std::string headers;
    if (context_.settings.route) headers += "Route: <" + *context_.settings.route + ";lr>\r\n";
    headers += "To: <" + aor + ">\r\nFrom: " + name_addr(spec_.display_name, aor);
    re_snprintf(line, sizeof line, ";tag=%016llx\r\nCall-ID: %016llx\r\nCSeq: %u REGISTER\r\n",
                static_cast<unsigned long long>(from_tag_), static_cast<unsigned long long>(call_id_), cseq_++);
    headers += line;
    headers += "User-Agent: " + (spec_.user_agent.empty() ? std::string(kUserAgent) : spec_.user_agent) + "\r\n";
    if (challenge_) {
        DigestInput input{spec_.user, spec_.ha1, "REGISTER", "sip:" + spec_.domain, ++nonce_count_, random_hex()};
        headers += std::string(challenge_from_proxy_ ? "Proxy-Authorization: " : "Authorization: ") +
                   authorization_value(*challenge_, input) + "\r\n";
    }
    re_snprintf(line, sizeof line, "Expires: %u\r\nContent-Length: 0\r\n\r\n", expires_asked_);
    return headers + line;
}

// The whole request built here, for UdpTransactions to send and retransmit as is.
int Registration::send_over_udp(const struct sa &destination, const struct sa &local) {
    std::uint32_t cseq = cseq_;
    std::string headers = request_headers();
    struct mbuf *request = mbuf_alloc(1024);
    if (!request) return ENOMEM;
    int err = mbuf_printf(request,
                          "REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %J;branch=z9hG4bK%016llx;rport\r\n",
                          spec_.domain.c_str(), &local, static_cast<unsigned long long>(rand_u64()));
    err |= send_handler(SIP_TRANSP_UDP, &local, &destination, request, this);
    err |= mbuf_printf(request, "Max-Forwards: 70\r\n%s", headers.c_str());
    if (!err) err = context_.udp->start(call_id_, cseq, destination, request, response_handler, this);
    mem_deref(request);
    return err;
}

int Registration::send_handler(enum sip_transp transport, const struct sa *source, const struct sa *destination,
                               struct mbuf *buffer, void *arg) {
    auto *self = static_cast<Registration *>(arg);
    // The registrar's address may come from DNS the client's domain controls: an inside
    // address is refused unless allowed (access/address_policy.hpp).
    char host[64];
    if (sa_ntop(destination, host, sizeof host) == 0)
        if (auto refusal = self->context_.address_policy.refusal(host)) {
            self->context_.counters.refused(stats::Refusal::destination_address);
            self->context_.logger.info("binding " + std::to_string(self->spec_.id) +
                                       ": REGISTER not sent: " + *refusal);
            return EACCES;
        }
    self->registrar_address_ = *destination;
    // Over TLS the certificate must be valid for this account's domain: say which route
    // this connection serves before libre connects (refused: the send fails).
    if (transport == SIP_TRANSP_TLS && self->context_.registrar_tls)
        if (int err = note_registrar_route(self->context_.registrar_tls, *destination, self->spec_.domain)) return err;
    char uri[256];
    if (re_snprintf(uri, sizeof uri, "sip:%s@%J%s", self->contact_user_.c_str(), source,
                    sip_transp_param(transport)) < 0)
        return ENOMEM;
    self->contact_uri_ = uri + uri_parameters(self->spec_.contact_params);
    return mbuf_printf(buffer, "Contact: <%s>;expires=%u\r\n", self->contact_uri_.c_str(), self->expires_asked_);
}

void Registration::response_handler(int err, const struct sip_msg *message, void *arg) {
    static_cast<Registration *>(arg)->on_response(err, message);
}

void Registration::on_response(int err, const struct sip_msg *message) {
    if (err || !message) return failed(local_failure_reason(err), true);
    if (message->scode < 200) return;
    RegisterAnswer reply = read_register_answer(*message, contact_uri_);
    std::string answer = std::to_string(reply.status) + " " + reply.reason;
    if (message->scode < 300) return succeeded(reply);

    if (message->scode == 401 || message->scode == 407) {
        auto &challenge = reply.challenge;
        bool answer_it = challenge && can_answer(*challenge) &&
                         (!answered_fresh_challenge_ || (challenge->stale && !stale_retried_));
        if (!answer_it) {
            if (challenge && !can_answer(*challenge))
                context_.logger.warning("account " + spec_.user + "@" + spec_.domain + ": registrar asks for digest algorithm '" +
                                challenge->algorithm + "' which an MD5 HA1 cannot answer");
            return failed(answer, granted_ > 0);  // wrong credentials: retrying will not help a first registration
        }
        if (answered_fresh_challenge_) stale_retried_ = true;
        answered_fresh_challenge_ = true;
        if (!challenge_ || challenge_->nonce != challenge->nonce) nonce_count_ = 0;
        challenge_ = std::move(challenge);
        challenge_from_proxy_ = reply.challenge_from_proxy;
        return send();
    }
    if (message->scode == 423 && expires_asked_ > 0 && !min_expires_retried_) {
        std::uint32_t asked = reply.min_expires;
        if (asked > expires_asked_) {
            min_expires_retried_ = true;
            expires_asked_ = asked;
            expires_ = asked;  // and for later refreshes
            return send();
        }
    }
    bool transient = message->scode == 408 || (message->scode >= 500 && message->scode < 600);
    failed(answer, transient || granted_ > 0);
}

void Registration::succeeded(const RegisterAnswer &reply) {
    end_attempt();
    consecutive_failures_ = 0;
    if (phase_ == Phase::unbinding) {
        granted_ = 0;
        report(RegistrationState::unregistered);
        return finish_unbind();
    }
    granted_ = reply.granted.value_or(expires_asked_);
    if (granted_ == 0) return failed("registrar granted no time (expires 0)", true);
    phase_ = Phase::bound;
    bound_at_ms_ = tmr_jiffies();
    report(RegistrationState::registered);
    schedule(refresh_delay_ms(granted_));
}

void Registration::failed(const std::string &reason, bool retry) {
    end_attempt();
    if (phase_ == Phase::unbinding) {
        context_.logger.info("account " + spec_.user + "@" + spec_.domain + ": unregister failed: " + reason);
        report(RegistrationState::failed, reason);
        return finish_unbind();
    }
    ++consecutive_failures_;
    report(RegistrationState::failed, reason);
    if (!retry) {
        phase_ = Phase::idle;
        return;
    }
    phase_ = Phase::retry_wait;
    unsigned doublings = std::min(consecutive_failures_ - 1, 6u);
    schedule(std::min(kLongestRetryMs, kFirstRetryMs << doublings));
}

void Registration::finish_unbind() {
    phase_ = Phase::finished;
    if (auto done = std::move(unbound_)) {
        unbound_ = nullptr;
        done();
    }
}

void Registration::schedule(std::uint64_t delay_ms) {
    context_.deadlines.schedule(spec_.id, delay_ms, [this] { deadline_reached(); });
}

void Registration::deadline_reached() {
    // Refresh or retry: asks the same expiry again (the registrar may have shortened it).
    expires_asked_ = expires_;
    min_expires_retried_ = false;
    if (phase_ == Phase::retry_wait) phase_ = Phase::binding;
    start_attempt();
}

void Registration::report(RegistrationState state, const std::string &reason) {
    if (reported_ == state) return;  // refreshes and retries that change nothing stay quiet
    reported_ = state;
    context_.sink({spec_.id, state, reason});
}

std::string Registration::local_failure_reason(int err) const {
    switch (err) {
    case ETIMEDOUT: return "408 Request Timeout";
    case EDESTADDRREQ:
    case ENOENT:
    case ENODATA:
    case ESRCH:
        return "DNS error: cannot resolve " + spec_.domain + (context_.settings.route ? " (via the outbound proxy)" : "");
    case EACCES: return "403 registrar address not allowed (an inside address; see allowed_networks)";
    default: return std::string("network error: ") + std::strerror(err);
    }
}

}  // namespace sylk::sip
