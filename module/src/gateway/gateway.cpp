#include "gateway/gateway.hpp"

#include "protocol/account_address.hpp"
#include "protocol/decoder.hpp"
#include "protocol/encoder.hpp"

namespace sylk::gateway {

Gateway::Gateway(const config::Configuration &configuration, const log::Logger &logger,
                 Counters &counters, ClientTransport &transport)
    : configuration_(configuration), logger_(logger), counters_(counters), transport_(transport) {}

void Gateway::client_opened(ClientId client, std::string peer) {
    auto [it, inserted] = clients_.try_emplace(client, Client{std::move(peer), {}});
    if (!inserted) return;
    counters_.connections.fetch_add(1, std::memory_order_relaxed);
    logger_.debug("client " + it->second.peer + " connected");
    send(client, it->second, protocol::encode_ready_event());
}

void Gateway::client_closed(ClientId client) {
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    // Nothing outlives the connection: its accounts go with it.
    counters_.accounts.fetch_sub(it->second.accounts.size(), std::memory_order_relaxed);
    counters_.connections.fetch_sub(1, std::memory_order_relaxed);
    logger_.debug("client " + it->second.peer + " disconnected");
    clients_.erase(it);
}

void Gateway::client_message(ClientId client, std::string_view text) {
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    Client &state = it->second;
    if (configuration_.trace_client)
        logger_.info("trace " + state.peer + " in: " + protocol::masked_for_log(text));

    protocol::DecodedMessage decoded = protocol::decode_message(text);
    switch (decoded.outcome) {
    case protocol::DecodedMessage::Outcome::drop:
        logger_.warning("client " + state.peer + ": dropped message: " + decoded.problem);
        return;
    case protocol::DecodedMessage::Outcome::reply_error:
        send(client, state, protocol::encode_error(decoded.transaction, decoded.problem));
        return;
    case protocol::DecodedMessage::Outcome::request:
        break;
    }
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    std::optional<std::string> refusal = handle(state, decoded.request);
    send(client, state,
         refusal ? protocol::encode_error(decoded.transaction, *refusal)
                 : protocol::encode_ack(decoded.transaction));
}

void Gateway::send(ClientId client, const Client &state, std::string text) {
    if (configuration_.trace_client) logger_.info("trace " + state.peer + " out: " + text);
    transport_.send_text(client, std::move(text));
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::Request &request) {
    return std::visit([&](const auto &typed) { return handle(client, typed); }, request);
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::AddAccount &request) {
    auto address = protocol::parse_account_address(request.account);  // syntax checked by the decoder
    if (!configuration_.sip_domains.allows(address->domain))
        return "domain not allowed: " + address->domain;
    auto [it, inserted] = client.accounts.try_emplace(request.account, Account{request.ha1, request.display_name});
    if (!inserted) return "account already added: " + request.account;
    counters_.accounts.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::RemoveAccount &request) {
    if (client.accounts.erase(request.account) == 0) return "unknown account: " + request.account;
    counters_.accounts.fetch_sub(1, std::memory_order_relaxed);
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::RegisterAccount &request) {
    if (!client.accounts.count(request.account)) return "unknown account: " + request.account;
    return std::string("registration is not available yet");
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::UnregisterAccount &request) {
    if (!client.accounts.count(request.account)) return "unknown account: " + request.account;
    return std::string("registration is not available yet");
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::SessionCreate &request) {
    if (!client.accounts.count(request.account)) return "unknown account: " + request.account;
    return std::string("calls are not available yet");
}

// No session can exist until calls are implemented, so every reference is unknown.
std::optional<std::string> Gateway::handle(Client &, const protocol::SessionAnswer &request) {
    return "unknown session: " + request.session;
}

std::optional<std::string> Gateway::handle(Client &, const protocol::SessionTrickle &request) {
    return "unknown session: " + request.session;
}

std::optional<std::string> Gateway::handle(Client &, const protocol::SessionTerminate &request) {
    return "unknown session: " + request.session;
}

}  // namespace sylk::gateway
