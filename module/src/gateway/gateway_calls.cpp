// The gateway's calls: each session joins a SIP call (CallControl, on the SIP thread)
// and a media session (MediaEngine, on a media worker), translating SDP between the
// browser's WebRTC form and the phone's plain RTP form (sdp/). Web thread only.
#include "gateway/gateway.hpp"

#include "protocol/account_address.hpp"
#include "protocol/encoder.hpp"
#include "sdp/browser_side.hpp"
#include "sdp/phone_side.hpp"

#include <openssl/rand.h>

#include <algorithm>

namespace sylk::gateway {

namespace {

// ICE credentials of our side: ufrag at least 4 characters, pwd at least 22 (RFC 8839).
std::string random_token(std::size_t length) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string bytes(length, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char *>(bytes.data()), static_cast<int>(length)) != 1)
        throw std::runtime_error("no randomness for ICE credentials");
    for (auto &c : bytes) c = alphabet[static_cast<unsigned char>(c) % (sizeof alphabet - 1)];
    return bytes;
}

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

std::optional<sdp::SessionDescription> parse_sdp(const std::string &text, std::string &problem) {
    auto parsed = sdp::parse(text);
    if (auto *error = std::get_if<sdp::ParseError>(&parsed)) {
        problem = "invalid SDP: " + error->reason;
        return std::nullopt;
    }
    return std::get<sdp::SessionDescription>(std::move(parsed));
}

bool is_unspecified(const std::string &address) {
    auto bytes = access::parse_address(address);
    return bytes && (*bytes == *access::parse_address("0.0.0.0") || *bytes == *access::parse_address("::"));
}

// The media lines of a session: one per bridged line of the offer, always in the same
// positions (the media engine matches update() to open() by position). `answered`,
// once known, gives each line's payload type pairs; a line the answer refused keeps
// its place with no phone address, so nothing is relayed on it.
std::vector<media::BridgedLine> bridged_lines(const std::vector<sdp::MediaLine> &offered,
                                              const std::vector<sdp::MediaLine> *answered,
                                              const std::vector<sdp::RtpPeer> &peers,
                                              const media::PortReservation &ports) {
    std::vector<media::BridgedLine> bridged;
    std::size_t next_port = 0;
    for (std::size_t index = 0; index < offered.size(); ++index) {
        if (!offered[index].bridged) continue;
        const sdp::MediaLine &line = answered && index < answered->size() ? (*answered)[index] : offered[index];
        bool refused = answered && !line.bridged;
        media::BridgedLine media_line;
        media_line.kind = offered[index].kind;
        media_line.payload_types = line.payload_types;
        if (media_line.payload_types.empty())  // the same numbers on both sides
            for (const auto &codec : line.codecs)
                if (auto number = sdp::payload_type_number(codec.payload_type))
                    media_line.payload_types.push_back({*number, *number, codec.clock_rate()});
        media_line.phone_port = next_port < ports.phone_ports.size() ? ports.phone_ports[next_port] : 0;
        ++next_port;
        if (!refused && index < peers.size()) media_line.phone = peers[index];
        // c=0.0.0.0 (RFC 2543 hold) names no destination: nothing is sent (Linux would
        // deliver a send to 0.0.0.0 to this host).
        if (is_unspecified(media_line.phone.address)) media_line.phone.port = 0;
        bridged.push_back(std::move(media_line));
    }
    return bridged;
}

std::size_t count_bridged(const std::vector<sdp::MediaLine> &lines) {
    return static_cast<std::size_t>(
        std::count_if(lines.begin(), lines.end(), [](const sdp::MediaLine &line) { return line.bridged; }));
}

}  // namespace

std::optional<media::PortReservation> Gateway::reserve_media(sip::CallId call,
                                                             const std::vector<sdp::MediaLine> &lines) {
    return media_->reserve_ports(call, count_bridged(lines));
}

sdp::GatewayWebRtc Gateway::gateway_webrtc(const Session &session) const {
    return {media_->media_address(), session.media.ports.browser_port, session.media.local_ice_ufrag,
            session.media.local_ice_pwd, media_->fingerprint()};
}

// Phone-side ports indexed like the plan's lines (0 for a line not bridged).
sdp::GatewayRtp Gateway::gateway_rtp(const Session &session) const {
    sdp::GatewayRtp rtp{media_->media_address(), {}};
    std::size_t next_port = 0;
    for (const auto &line : session.offered) {
        bool has_port = line.bridged && next_port < session.media.ports.phone_ports.size();
        rtp.ports.push_back(has_port ? session.media.ports.phone_ports[next_port++] : 0);
    }
    return rtp;
}

std::optional<std::string> Gateway::call_limit_problem(const Client &client) const {
    if (sessions_.size() >= configuration_.max_calls) return limit_reached(stats::Refusal::max_calls, configuration_.max_calls);
    if (client.sessions.size() >= configuration_.max_calls_per_connection)
        return limit_reached(stats::Refusal::max_calls_per_connection, configuration_.max_calls_per_connection);
    auto in_setup = std::count_if(client.sessions.begin(), client.sessions.end(), [this](const auto &entry) {
        const Session &session = sessions_.at(entry.second);
        return !session.answered && !session.ending;
    });
    if (static_cast<std::size_t>(in_setup) >= configuration_.max_call_setups_per_connection)
        return limit_reached(stats::Refusal::max_call_setups_per_connection, configuration_.max_call_setups_per_connection);
    return std::nullopt;
}

std::optional<std::string> Gateway::phone_address_problem(const std::vector<sdp::RtpPeer> &peers) const {
    for (const auto &peer : peers)
        if (peer.port != 0 && !is_unspecified(peer.address))  // hold: no destination at all
            if (auto refusal = address_policy_.refusal(peer.address)) {
                counters_.refused(stats::Refusal::media_address);
                return "media address not allowed: " + *refusal;
            }
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionCreate &request) {
    auto account = client.accounts.find(request.account);
    if (account == client.accounts.end()) return "unknown account: " + request.account;
    if (!media_) return std::string("calls are not available yet");
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
    std::string problem;
    auto offer_sdp = parse_sdp(request.sdp, problem);
    if (!offer_sdp) return problem;
    auto offer = sdp::read_browser_offer(*offer_sdp);
    if (auto *reason = std::get_if<std::string>(&offer)) return "invalid SDP: " + *reason;
    auto &browser = std::get<sdp::BrowserDescription>(offer);
    if (count_bridged(browser.lines) > configuration_.max_media_lines)
        return limit_reached(stats::Refusal::max_media_lines, configuration_.max_media_lines);
    sip::CallId call = ++last_call_;
    auto ports = reserve_media(call, browser.lines);
    if (!ports) return std::string("no media ports available");

    Session session;
    session.client = client.id;
    session.id = request.session;
    session.account = request.account;
    session.offered = browser.lines;
    session.media.id = call;
    session.media.ports = *ports;
    session.media.local_ice_ufrag = random_token(8);
    session.media.local_ice_pwd = random_token(24);
    session.media.browser = browser.peer;
    session.media.lines = bridged_lines(session.offered, nullptr, {}, session.media.ports);
    std::string phone_offer = sdp::serialize(sdp::write_phone_offer(session.offered, gateway_rtp(session), std::to_string(call)));

    const Account &caller = account->second;
    std::string target = request.uri.rfind("sip:", 0) == 0 || request.uri.rfind("sips:", 0) == 0 ? request.uri
                                                                                               : "sip:" + request.uri;
    media_->open(session.media);
    calls_.place_call({call, caller.binding, caller.user, caller.domain, caller.ha1, caller.display_name, target,
                       std::move(phone_offer), {}, client.address});
    client.sessions.emplace(request.session, call);
    sessions_.emplace(call, std::move(session));
    counters_.sessions.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionAnswer &request) {
    auto known = client.sessions.find(request.session);
    if (known == client.sessions.end()) return "unknown session: " + request.session;
    Session &session = sessions_.at(known->second);
    if (!session.incoming || session.answered || session.ending)
        return "session cannot be answered: " + request.session;
    std::string problem;
    auto answer_sdp = parse_sdp(request.sdp, problem);
    if (!answer_sdp) return problem;
    auto answer = sdp::read_browser_answer(*answer_sdp, session.offered);
    if (auto *reason = std::get_if<std::string>(&answer)) return "invalid SDP: " + *reason;
    auto &browser = std::get<sdp::BrowserDescription>(answer);
    if (count_bridged(browser.lines) == 0) return std::string("invalid SDP: the answer accepts no media");

    session.answered = true;
    session.media.browser = browser.peer;
    session.media.lines = bridged_lines(session.offered, &browser.lines, session.phone_peers, session.media.ports);
    session.media.negotiated = true;
    media_->update(session.media);
    calls_.answer_call(known->second,
                       sdp::serialize(sdp::write_phone_answer(session.offered, browser.lines, gateway_rtp(session),
                                                              std::to_string(known->second))));
    return std::nullopt;
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
    if (session.ending) return "session already terminated: " + request.session;
    session.ending = true;
    calls_.end_call(known->second, configuration_.decline_code);
    return std::nullopt;
}

void Gateway::call_changed(const sip::CallUpdate &update) {
    if (update.kind == sip::CallUpdate::Kind::incoming) return incoming_call(update);
    auto found = sessions_.find(update.id);
    if (found == sessions_.end()) return;  // its client has gone; the SIP side ends it on its own
    Session &session = found->second;
    auto client = clients_.find(session.client);
    switch (update.kind) {
    case sip::CallUpdate::Kind::progress:
        if (client != clients_.end()) send(client->first, client->second, protocol::encode_session_state(session.id, "progress"));
        return;
    case sip::CallUpdate::Kind::answered:
        return call_answered(session, update.sdp);
    case sip::CallUpdate::Kind::confirmed:
        // The ACK for our 200 OK: an incoming call is up. `established` comes from the
        // media side once ICE and DTLS are done.
        return tell_accepted(session);
    case sip::CallUpdate::Kind::ended:
        // Missed: the caller gave up (or the call failed) before the browser answered;
        // a call the browser declined itself is not missed.
        if (session.incoming && !session.answered && !session.ending && client != clients_.end())
            send(client->first, client->second, protocol::encode_missed_session(session.account, session.id, session.originator));
        return end_session(update.id, update.reason);
    case sip::CallUpdate::Kind::incoming:
        return;
    }
}

void Gateway::call_answered(Session &session, const std::string &phone_sdp) {
    std::string problem;
    auto answer_sdp = parse_sdp(phone_sdp, problem);
    std::variant<sdp::PhoneDescription, std::string> answer = problem;
    if (answer_sdp) answer = sdp::read_phone_answer(*answer_sdp, session.offered);
    auto *phone = std::get_if<sdp::PhoneDescription>(&answer);
    auto address_problem = phone ? phone_address_problem(phone->peers) : std::nullopt;
    if (!phone || count_bridged(phone->lines) == 0 || address_problem) {
        std::string reason = !phone ? std::get<std::string>(answer) : address_problem ? *address_problem : "no media in common";
        logger_.info("session " + session.id + ": the phone's answer cannot be bridged: " + reason);
        session.ending = true;
        session.end_reason = "488 " + reason;
        calls_.end_call(session.media.id, 488);
        return;
    }
    session.answered = true;
    session.media.lines = bridged_lines(session.offered, &phone->lines, phone->peers, session.media.ports);
    session.media.negotiated = true;
    media_->update(session.media);
    auto client = clients_.find(session.client);
    if (client == clients_.end()) return;
    std::string browser_answer = sdp::serialize(
        sdp::write_browser_answer(session.offered, phone->lines, gateway_webrtc(session), std::to_string(session.media.id)));
    session.accepted_told = true;
    send(client->first, client->second, protocol::encode_session_state(session.id, "accepted", browser_answer));
}

void Gateway::tell_accepted(Session &session) {
    if (!session.incoming || !session.answered || session.accepted_told || session.ending) return;
    session.accepted_told = true;
    auto client = clients_.find(session.client);
    if (client != clients_.end()) send(client->first, client->second, protocol::encode_session_state(session.id, "accepted"));
}

void Gateway::incoming_call(const sip::CallUpdate &update) {
    auto owner = bindings_.find(update.binding);
    auto client = owner == bindings_.end() ? clients_.end() : clients_.find(owner->second.client);
    std::string problem;
    auto offer_sdp = parse_sdp(update.sdp, problem);
    auto offer = offer_sdp ? sdp::read_phone_offer(*offer_sdp)
                           : std::variant<sdp::PhoneDescription, std::string>(problem);
    auto *phone = std::get_if<sdp::PhoneDescription>(&offer);
    // Refused before any port is taken: the account went away meanwhile (480), a limit is
    // reached (486), or the media cannot or may not be set up (488).
    std::optional<std::string> refusal;
    std::uint16_t code = 488;
    if (client == clients_.end()) {
        refusal = "the account has gone";
        code = 480;
    } else if (auto limit = call_limit_problem(client->second)) {
        refusal = limit;
        code = 486;
    } else if (!phone || !media_) {
        refusal = phone ? "calls are not available yet" : std::get<std::string>(offer);
    } else if (count_bridged(phone->lines) > configuration_.max_media_lines) {
        refusal = limit_reached(stats::Refusal::max_media_lines, configuration_.max_media_lines);
    } else {
        refusal = phone_address_problem(phone->peers);
    }
    std::optional<media::PortReservation> ports;
    if (!refusal) ports = reserve_media(update.id, phone->lines);
    if (!ports) {
        if (!refusal) refusal = "no media ports available";
        logger_.info("refused an incoming call from " + update.originator + ": " + *refusal);
        calls_.end_call(update.id, code);
        return;
    }
    Session session;
    session.client = client->first;
    // Random, as SylkServer's: a client cannot pick the id of a call that has not come yet.
    do session.id = random_uuid();
    while (client->second.sessions.count(session.id));
    session.account = owner->second.account;
    session.incoming = true;
    session.originator = update.originator;
    session.offered = phone->lines;
    session.phone_peers = phone->peers;
    session.media.id = update.id;
    session.media.ports = *ports;
    session.media.local_ice_ufrag = random_token(8);
    session.media.local_ice_pwd = random_token(24);
    session.media.lines = bridged_lines(session.offered, nullptr, session.phone_peers, session.media.ports);
    // Media starts now: a browser's checks and DTLS hello may come before its answer.
    media_->open(session.media);
    std::string browser_offer =
        sdp::serialize(sdp::write_browser_offer(session.offered, gateway_webrtc(session), std::to_string(update.id)));
    send(client->first, client->second,
         protocol::encode_incoming_session(session.account, session.id, session.originator, update.display_name,
                                           browser_offer));
    client->second.sessions.emplace(session.id, update.id);
    sessions_.emplace(update.id, std::move(session));
    counters_.sessions.fetch_add(1, std::memory_order_relaxed);
}

void Gateway::media_changed(const media::MediaEvent &event) {
    auto found = sessions_.find(event.id);
    if (found == sessions_.end()) return;
    Session &session = found->second;
    if (event.kind == media::MediaEvent::Kind::established) {
        tell_accepted(session);  // media may be up before the phone's ACK arrives
        auto client = clients_.find(session.client);
        if (client != clients_.end())
            send(client->first, client->second, protocol::encode_session_state(session.id, "established"));
        return;
    }
    // The media ended on its own (RTP timeout, ICE consent, DTLS): the call ends too.
    logger_.info("session " + session.id + ": media ended: " + event.reason);
    if (!session.ending) {
        session.ending = true;
        session.end_reason = event.reason;
        calls_.end_call(event.id, 488);
    }
}

void Gateway::end_session(sip::CallId call, const std::string &reason) {
    auto found = sessions_.find(call);
    if (found == sessions_.end()) return;
    Session &session = found->second;
    if (media_) media_->close(call);
    auto client = clients_.find(session.client);
    if (client != clients_.end()) {
        const std::string &told = session.end_reason.empty() ? reason : session.end_reason;
        send(client->first, client->second, protocol::encode_session_state(session.id, "terminated", {}, told));
        client->second.sessions.erase(session.id);
    }
    count_ended(session);
    sessions_.erase(found);
}

void Gateway::count_ended(const Session &session) {
    counters_.sessions.fetch_sub(1, std::memory_order_relaxed);
    auto &total = session.incoming ? (session.answered ? counters_.calls_incoming_answered : counters_.calls_incoming_unanswered)
                                   : (session.answered ? counters_.calls_outgoing_answered : counters_.calls_outgoing_unanswered);
    total.fetch_add(1, std::memory_order_relaxed);
}

void Gateway::end_calls_of(Client &client) {
    for (const auto &[id, call] : client.sessions) {
        Session &session = sessions_.at(call);
        if (media_) media_->close(call);
        if (!session.ending) calls_.end_call(call, configuration_.decline_code);
        count_ended(session);
        sessions_.erase(call);
    }
    client.sessions.clear();
}

}  // namespace sylk::gateway
