// The client side of calls: which client and session id a call belongs to, the limits
// a client's calls are held to, and what the client is told. The calls themselves
// (SDP, media, SIP) are call::CallSession's. Web thread only.
#include "gateway/gateway.hpp"

#include "protocol/account_address.hpp"
#include "protocol/client_headers.hpp"
#include "sip/digest.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace sylk::gateway {

namespace {

// 32 hex digits as a UUID's 8-4-4-4-12.
std::string dashed(const std::string &hex) {
    return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' + hex.substr(16, 4) + '-' +
           hex.substr(20, 12);
}

// A version 4 UUID (RFC 4122), the form SylkServer gives incoming sessions' ids.
std::string random_uuid() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a session id");
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    std::string digits;
    for (unsigned char byte : bytes) {
        digits += hex[byte >> 4];
        digits += hex[byte & 0xF];
    }
    return dashed(digits);
}

// One header line each, already checked by the decoder (protocol/client_headers).
std::string header_lines(const protocol::Headers &headers) {
    std::string lines;
    for (const auto &header : headers) lines += header.name + ": " + header.value + "\r\n";
    return lines;
}

protocol::Headers as_headers(const std::vector<std::pair<std::string, std::string>> &list) {
    protocol::Headers headers;
    for (const auto &[name, value] : list) headers.push_back({name, value});
    return headers;
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
                                            caller.display_name, target, {}, {}, client.address,
                                            header_lines(request.headers)},
                                           request.sdp, "session " + request.session);
    if (auto *problem = std::get_if<std::string>(&placed)) return *problem;
    client.sessions.emplace(request.session, id);
    auto &session = sessions_.emplace(id, Session{client.id, request.session, request.account, {},
                                                  std::get<call::CallSession>(std::move(placed)), std::nullopt, {}, {}})
                        .first->second;
    if (client.dialect == protocol::Dialect::sylkrtc2) session.call.set_browser_follows_phone_changes();
    after_answer_.push_back(protocol::SessionPlacedEvent{request.session});
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionAnswer &request) {
    auto known = client.sessions.find(request.session);
    if (known == client.sessions.end()) return "unknown session: " + request.session;
    Session &session = sessions_.at(known->second);
    if (!session.call.can_answer()) return "session cannot be answered: " + request.session;
    return session.call.answer(request.sdp, header_lines(request.headers));
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
    if (!update.call_id.empty()) session.call_id = update.call_id;
    if (update.kind == sip::CallUpdate::Kind::answered)
        if (auto client = clients_.find(session.client); client != clients_.end())
            if (auto account = client->second.accounts.find(session.account); account != client->second.accounts.end())
                session.answer_headers =
                    protocol::headers_with_prefixes(as_headers(update.headers), account->second.incoming_header_prefixes);
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

// The call's notices as protocol events, written in its client's dialect.
void Gateway::tell(const Session &session, const call::ClientNotices &notices) {
    auto client = clients_.find(session.client);
    if (client == clients_.end()) return;
    for (const auto &notice : notices) {
        switch (notice.kind) {
        case call::ClientNotice::Kind::state:
            if (notice.state == "progress") {
                tell(client->second, protocol::SessionProgressEvent{session.id, notice.code, notice.sdp, session.call_id});
                break;
            }
            tell(client->second,
                 protocol::SessionStateEvent{session.id, notice.state, notice.sdp, notice.reason, notice.answer_given_early,
                                             notice.state == "accepted" ? session.call_id : std::string(),
                                             notice.state == "accepted" ? session.answer_headers : protocol::Headers()});
            break;
        case call::ClientNotice::Kind::missed:
            tell(client->second, protocol::MissedSessionEvent{session.account, session.id, session.originator,
                                                              session.originator_display_name});
            break;
        case call::ClientNotice::Kind::dtmf:
            tell(client->second, protocol::SessionDtmfEvent{session.id, notice.dtmf_digit, notice.dtmf_duration_ms});
            break;
        case call::ClientNotice::Kind::update:
            tell(client->second, protocol::SessionUpdateEvent{session.id, notice.originator, notice.state, notice.hold,
                                                              notice.sdp, notice.reason});
            break;
        }
    }
}

// sylkRTC-1: random, as the 2015 server's. sylkRTC-2: derived from the Call-ID as
// SylkServer does (MD5 as a dashed UUID), so a push notification for the call and the
// incoming-session event name it alike. An id the client already uses for another
// session (it chose it itself) gives way to a random one.
std::string Gateway::incoming_session_id(const Client &client, const sip::CallUpdate &update) const {
    if (client.dialect == protocol::Dialect::sylkrtc2 && !update.call_id.empty()) {
        std::string id = dashed(sip::md5_hex(update.call_id));
        if (!client.sessions.count(id)) return id;
        logger_.info("an incoming call's Call-ID names a session the client already has: given a random id");
    }
    std::string id;
    do id = random_uuid();
    while (client.sessions.count(id));
    return id;
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
    std::string id = refusal ? std::string() : incoming_session_id(client->second, update);
    auto received = refusal ? std::variant<call::CallSession, call::IncomingRefusal>(*refusal)
                            : call::CallSession::receive(*call_services_, update, "session " + id);
    if (auto *refused = std::get_if<call::IncomingRefusal>(&received)) {
        logger_.info("refused an incoming call from " + update.originator + ": " + refused->reason);
        calls_.end_call(update.id, refused->code);
        return;
    }
    Client &receiver = client->second;
    Session session{receiver.id, id, owner->second.account, update.originator,
                    std::get<call::CallSession>(std::move(received)), update.display_name, update.call_id, {}};
    if (receiver.dialect == protocol::Dialect::sylkrtc2) session.call.set_browser_follows_phone_changes();
    protocol::Headers asked;
    if (auto account = receiver.accounts.find(session.account); account != receiver.accounts.end())
        asked = protocol::headers_with_prefixes(as_headers(update.headers), account->second.incoming_header_prefixes);
    tell(receiver, protocol::IncomingSessionEvent{session.account, session.id, session.originator, update.display_name,
                                                  session.call.browser_offer(), update.call_id, std::move(asked)});
    receiver.sessions.emplace(id, update.id);
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
