#include "sip/registration.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sylk::sip {

namespace {

constexpr std::uint64_t kFirstRetryMs = 5000;
constexpr std::uint64_t kLongestRetryMs = 300000;

std::string text(const struct pl &pl) { return pl.p ? std::string(pl.p, pl.l) : std::string(); }

std::string random_hex() {
    char buffer[17];
    re_snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(rand_u64()));
    return buffer;
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

Registration::Registration(const RegistrationContext &context, BindingSpec spec)
    : context_(context), spec_(std::move(spec)), expires_(context.settings.expires),
      contact_user_("gw-" + random_hex()) {}

Registration::~Registration() {
    context_.window.release(spec_.id);
    context_.deadlines.cancel(spec_.id);
    mem_deref(request_);
    mem_deref(dialog_);
}

void Registration::bind() {
    if (phase_ == Phase::unbinding) unbound_ = nullptr;  // a new register wins over a pending unregister
    context_.deadlines.cancel(spec_.id);
    request_ = static_cast<struct sip_request *>(mem_deref(request_));
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
    request_ = static_cast<struct sip_request *>(mem_deref(request_));
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
    context_.window.acquire(spec_.id, [this] {
        answered_fresh_challenge_ = false;
        stale_retried_ = false;
        send();
    });
}

void Registration::end_attempt() { context_.window.release(spec_.id); }

void Registration::send() {
    if (!dialog_) {
        std::string registrar = "sip:" + spec_.domain;
        std::string aor = "sip:" + spec_.user + "@" + spec_.domain;
        const char *routes[1] = {context_.settings.route ? context_.settings.route->c_str() : nullptr};
        int err = sip_dialog_alloc(&dialog_, registrar.c_str(), aor.c_str(),
                                   spec_.display_name ? spec_.display_name->c_str() : nullptr, aor.c_str(),
                                   context_.settings.route ? routes : nullptr, context_.settings.route ? 1 : 0);
        if (err) return failed("cannot build the request: " + std::string(std::strerror(err)), false);
    }
    std::string credentials;
    if (challenge_) {
        DigestInput input{spec_.user, spec_.ha1, "REGISTER", "sip:" + spec_.domain, ++nonce_count_, random_hex()};
        credentials = std::string(challenge_from_proxy_ ? "Proxy-Authorization: " : "Authorization: ") +
                      authorization_value(*challenge_, input) + "\r\n";
    }
    int err = sip_drequestf(&request_, context_.stack, true, "REGISTER", dialog_, 0, nullptr, send_handler, response_handler,
                            this, "%sExpires: %u\r\nContent-Length: 0\r\n\r\n", credentials.c_str(), expires_asked_);
    if (err) failed(local_failure_reason(err), true);
}

int Registration::send_handler(enum sip_transp transport, const struct sa *source, const struct sa *, struct mbuf *buffer,
                               void *arg) {
    auto *self = static_cast<Registration *>(arg);
    char uri[256];
    if (re_snprintf(uri, sizeof uri, "sip:%s@%J%s", self->contact_user_.c_str(), source,
                    sip_transp_param(transport)) < 0)
        return ENOMEM;
    self->contact_uri_ = uri;
    return mbuf_printf(buffer, "Contact: <%s>;expires=%u\r\n", uri, self->expires_asked_);
}

void Registration::response_handler(int err, const struct sip_msg *message, void *arg) {
    static_cast<Registration *>(arg)->on_response(err, message);
}

void Registration::on_response(int err, const struct sip_msg *message) {
    if (err || !message) return failed(local_failure_reason(err), true);
    if (message->scode < 200) return;
    std::string answer = std::to_string(message->scode) + " " + text(message->reason);
    if (message->scode < 300) return succeeded(message);

    if (message->scode == 401 || message->scode == 407) {
        bool proxy = message->scode == 407;
        const struct sip_hdr *header =
            sip_msg_hdr(message, proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE);
        auto challenge = header ? parse_digest_challenge(std::string_view(header->val.p, header->val.l)) : std::nullopt;
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
        challenge_from_proxy_ = proxy;
        return send();
    }
    if (message->scode == 423 && expires_asked_ > 0 && !min_expires_retried_) {
        const struct sip_hdr *min_expires = sip_msg_hdr(message, SIP_HDR_MIN_EXPIRES);
        std::uint32_t asked = min_expires ? pl_u32(&min_expires->val) : 0;
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

bool Registration::contact_handler(const struct sip_hdr *header, const struct sip_msg *, void *arg) {
    auto *self = static_cast<Registration *>(arg);
    struct sip_addr contact;
    if (sip_addr_decode(&contact, &header->val) || pl_strcmp(&contact.auri, self->contact_uri_.c_str())) return false;
    struct pl expires;
    if (!msg_param_decode(&contact.params, "expires", &expires)) self->granted_ = pl_u32(&expires);
    return true;  // found ours
}

void Registration::succeeded(const struct sip_msg *message) {
    end_attempt();
    consecutive_failures_ = 0;
    if (phase_ == Phase::unbinding) {
        granted_ = 0;
        report(RegistrationState::unregistered);
        return finish_unbind();
    }
    granted_ = pl_isset(&message->expires) ? pl_u32(&message->expires) : expires_asked_;
    sip_msg_hdr_apply(message, true, SIP_HDR_CONTACT, contact_handler, this);
    if (granted_ == 0) return failed("registrar granted no time (expires 0)", true);
    phase_ = Phase::bound;
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
    default: return std::string("network error: ") + std::strerror(err);
    }
}

}  // namespace sylk::sip
