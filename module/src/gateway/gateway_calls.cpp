// The client side of calls: which client and session id a call belongs to, the limits
// a client's calls are held to, and what the client is told. The calls themselves
// (SDP, media, SIP) are call::CallSession's. Web thread only.
#include "gateway/gateway.hpp"

#include "protocol/account_address.hpp"
#include "protocol/encoder.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace sylk::gateway {

namespace {

// A version 4 UUID (RFC 4122), the form SylkServer gives incoming sessions' ids.
std::string random_uuid() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a session id");
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
        id += hex[bytes[i] >> 4];
        id += hex[bytes[i] & 0xF];
    }
    return id;
}

}  // namespace

std::optional<std::string> Gateway::call_limit_problem(const Client &client) const {
    if (sessions_.size() >= configuration_.max_calls)
        return counters_.limit_reached(stats::Refusal::max_calls, configuration_.max_calls);
    if (client.sessions.size() >= configuration_.max_calls_per_connection)
        return counters_.limit_reached(stats::Refusal::max_calls_per_connection, configuration_.max_calls_per_connection);
    auto in_setup = std::count_if(client.sessions.begin(), client.sessions.end(),
                                  [this](const auto &entry) { return sessions_.at(entry.second).call.in_setup(); });
    if (static_cast<std::size_t>(in_setup) >= configuration_.max_call_setups_per_connection)
        return counters_.limit_reached(stats::Refusal::max_call_setups_per_connection,
                                       configuration_.max_call_setups_per_connection);
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionCreate &request) {
    auto account = client.accounts.find(request.account);
    if (account == client.accounts.end()) return "unknown account: " + request.account;
    if (!call_services_) return std::string("calls are not available yet");
    if (client.sessions.count(request.session)) return "session already exists: " + request.session;
    // The registrar's digest is the proof that the client knows the account's HA1.
    if (!account->second.registered && !configuration_.allow_unregistered_calls) {
        counters_.refused(stats::Refusal::unregistered_call);
        return "account not registered: " + request.account + " (register it before calling)";
    }
    std::string host = protocol::call_target_host(request.uri);
    if (access::parse_address(host))
        if (auto refusal = address_policy_.refusal(host)) {
            counters_.refused(stats::Refusal::destination_address);
            return "destination not allowed: " + *refusal;
        }
    if (auto limit = call_limit_problem(client)) return limit;

    const Account &caller = account->second;
    std::string target = request.uri.rfind("sip:", 0) == 0 || request.uri.rfind("sips:", 0) == 0 ? request.uri
                                                                                               : "sip:" + request.uri;
    sip::CallId id = ++last_call_;
    auto placed = call::CallSession::place(*call_services_,
                                           {id, caller.binding, caller.user, caller.domain, caller.ha1,
                                            caller.display_name, target, {}, {}, client.address},
                                           request.sdp, "session " + request.session);
    if (auto *problem = std::get_if<std::string>(&placed)) return *problem;
    client.sessions.emplace(request.session, id);
    sessions_.emplace(id, Session{client.id, request.session, request.account, {},
                                  std::get<call::CallSession>(std::move(placed))});
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionAnswer &request) {
    auto known = client.sessions.find(request.session);
    if (known == client.sessions.end()) return "unknown session: " + request.session;
    Session &session = sessions_.at(known->second);
    if (!session.call.can_answer()) return "session cannot be answered: " + request.session;
    return session.call.answer(request.sdp);
}

// ICE-lite: the browser checks the gateway's one candidate, so its own candidates are
// not needed; they are acknowledged for every known session, an empty list included.
std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionTrickle &request) {
    if (!client.sessions.count(request.session)) return "unknown session: " + request.session;
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionTerminate &request) {
    auto known = client.sessions.find(request.session);
    if (known == client.sessions.end()) return "unknown session: " + request.session;
    Session &session = sessions_.at(known->second);
    if (!session.call.can_terminate()) return "session already terminated: " + request.session;
    session.call.terminate(configuration_.decline_code);
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionDtmf &request) {
    auto known = client.sessions.find(request.session);
    if (known == client.sessions.end()) return "unknown session: " + request.session;
    if (auto problem = sessions_.at(known->second).call.send_dtmf(request.digit, request.duration_ms))
        return "session cannot send DTMF now: " + request.session + ": " + *problem;
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionUpdate &request) {
    auto known = client.sessions.find(request.session);
    if (known == client.sessions.end()) return "unknown session: " + request.session;
    if (auto problem = sessions_.at(known->second).call.update(request.sdp))
        return "session cannot be updated now: " + request.session + ": " + *problem;
    return std::nullopt;
}

void Gateway::call_changed(const sip::CallUpdate &update) {
    if (update.kind == sip::CallUpdate::Kind::incoming) return incoming_call(update);
    auto found = sessions_.find(update.id);
    if (found == sessions_.end()) return;  // its client has gone; the SIP side ends it on its own
    Session &session = found->second;
    tell(session, session.call.sip_changed(update));
    if (session.call.state() != call::CallState::terminated) return;
    if (auto client = clients_.find(session.client); client != clients_.end()) client->second.sessions.erase(session.id);
    sessions_.erase(found);
}

void Gateway::media_changed(const media::MediaEvent &event) {
    auto found = sessions_.find(event.id);
    if (found == sessions_.end()) return;
    tell(found->second, found->second.call.media_changed(event));
}

void Gateway::tell(const Session &session, const call::ClientNotices &notices) {
    auto client = clients_.find(session.client);
    if (client == clients_.end()) return;
    for (const auto &notice : notices) {
        switch (notice.kind) {
        case call::ClientNotice::Kind::state:
            send(client->first, client->second,
                 protocol::encode_session_state(session.id, notice.state, notice.sdp, notice.reason));
            break;
        case call::ClientNotice::Kind::missed:
            send(client->first, client->second,
                 protocol::encode_missed_session(session.account, session.id, session.originator));
            break;
        case call::ClientNotice::Kind::dtmf:
            send(client->first, client->second,
                 protocol::encode_session_dtmf(session.id, notice.dtmf_digit, notice.dtmf_duration_ms));
            break;
        case call::ClientNotice::Kind::update:
            send(client->first, client->second,
                 protocol::encode_session_update(session.id, notice.originator, notice.state, notice.hold, notice.sdp,
                                                 notice.reason));
            break;
        }
    }
}

void Gateway::incoming_call(const sip::CallUpdate &update) {
    auto owner = bindings_.find(update.binding);
    auto client = owner == bindings_.end() ? clients_.end() : clients_.find(owner->second.client);
    // Refused before any port is taken: the account went away meanwhile (480), a limit is
    // reached (486), or the media cannot or may not be set up (488, CallSession's verdict).
    std::optional<call::IncomingRefusal> refusal;
    if (client == clients_.end())
        refusal = call::IncomingRefusal{480, "the account has gone"};
    else if (auto limit = call_limit_problem(client->second))
        refusal = call::IncomingRefusal{486, *limit};
    else if (!call_services_)
        refusal = call::IncomingRefusal{488, "calls are not available yet"};
    // Random, as SylkServer's: a client cannot pick the id of a call that has not come yet.
    std::string id;
    if (!refusal) {
        do id = random_uuid();
        while (client->second.sessions.count(id));
    }
    auto received = refusal ? std::variant<call::CallSession, call::IncomingRefusal>(*refusal)
                            : call::CallSession::receive(*call_services_, update, "session " + id);
    if (auto *refused = std::get_if<call::IncomingRefusal>(&received)) {
        logger_.info("refused an incoming call from " + update.originator + ": " + refused->reason);
        calls_.end_call(update.id, refused->code);
        return;
    }
    Session session{client->first, id, owner->second.account, update.originator,
                    std::get<call::CallSession>(std::move(received))};
    send(client->first, client->second,
         protocol::encode_incoming_session(session.account, session.id, session.originator, update.display_name,
                                           session.call.browser_offer()));
    client->second.sessions.emplace(id, update.id);
    sessions_.emplace(update.id, std::move(session));
}

void Gateway::end_calls_of(Client &client) {
    for (const auto &[id, call] : client.sessions) {
        sessions_.at(call).call.abandon(configuration_.decline_code);
        sessions_.erase(call);
    }
    client.sessions.clear();
}

}  // namespace sylk::gateway
