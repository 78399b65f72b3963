#include "gateway/gateway.hpp"

#include "protocol/decoder.hpp"
#include "protocol/encoder.hpp"
#include "sip/digest.hpp"
#include "text/utf8.hpp"

namespace sylk::gateway {

Gateway::Gateway(const config::Configuration &configuration, const log::Logger &logger, stats::Counters &counters,
                 ClientTransport &transport, sip::AccountRegistrar &registrar, sip::CallControl &calls,
                 media::MediaEngine *media)
    : configuration_(configuration),
      address_policy_(access::gateway_policy(configuration.allowed_networks, configuration.own_addresses())),
      logger_(logger), counters_(counters), transport_(transport),
      registrar_(registrar), calls_(calls), media_(media) {
    if (media_) call_services_.emplace(call::CallServices{*media_, calls_, address_policy_, counters_, logger_,
                                                          configuration_.max_media_lines});
}

void Gateway::client_opened(ClientId client, std::string peer, protocol::Dialect dialect) {
    double rate = configuration_.max_requests_per_second;
    auto [it, inserted] =
        clients_.try_emplace(client, Client{client, peer, peer.substr(0, peer.rfind(':')), dialect, {}, {},
                                            log::LogBudget(), access::TokenBucket(rate, rate * 5)});
    if (!inserted) return;
    counters_.connections.fetch_add(1, std::memory_order_relaxed);
    logger_.debug("client " + it->second.peer + " connected (" + std::string(protocol::subprotocol_of(dialect)) + ")");
    tell(it->second, protocol::ReadyEvent{});
}

void Gateway::client_closed(ClientId client) {
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    // Nothing outlives the connection: its calls end, its accounts go, unregistered.
    end_calls_of(it->second);
    for (const auto &[name, account] : it->second.accounts) forget_binding(account);
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

    protocol::DecodedMessage decoded = protocol::decode_message(text, state.dialect);
    switch (decoded.outcome) {
    case protocol::DecodedMessage::Outcome::drop:
        if (auto line = state.warnings.admit("client " + state.peer + ": dropped message: " + decoded.problem);
            !line.empty())
            logger_.warning(line);
        return;
    case protocol::DecodedMessage::Outcome::reply_error:
        send(client, state, protocol::encode_error(decoded.transaction, decoded.problem));
        return;
    case protocol::DecodedMessage::Outcome::request:
        break;
    }
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    std::optional<std::string> refusal;
    after_answer_.clear();
    if (!state.requests.take())
        refusal = counters_.limit_reached(stats::Refusal::max_requests_per_second,
                                          configuration_.max_requests_per_second) +
                  "; slow down";
    else
        refusal = handle(state, decoded.request);
    send(client, state,
         refusal ? protocol::encode_error(decoded.transaction, *refusal)
                 : protocol::encode_ack(decoded.transaction));
    if (!refusal)
        for (const auto &event : after_answer_) tell(state, event);
    after_answer_.clear();
}

void Gateway::tell(const Client &client, const protocol::Event &event) {
    std::string text = protocol::encode(event, client.dialect);
    if (!text.empty()) send(client.id, client, std::move(text));
}

void Gateway::send(ClientId client, const Client &state, std::string text) {
    if (configuration_.trace_client) logger_.info("trace " + state.peer + " out: " + text);
    // SIP peers' text (display names, reasons) need not be UTF-8; a text frame must be.
    transport_.send_text(client, text::utf8_repaired(std::move(text)));
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::Request &request) {
    return std::visit([&](const auto &typed) { return handle(client, typed); }, request);
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::AddAccount &request) {
    if (!configuration_.sip_domains.allows(request.address.domain))
        return "domain not allowed: " + request.address.domain;
    if (client.accounts.count(request.account)) return "account already added: " + request.account;
    if (client.accounts.size() >= configuration_.max_accounts_per_connection)
        return counters_.limit_reached(stats::Refusal::max_accounts_per_connection,
                                       configuration_.max_accounts_per_connection);
    sip::BindingId binding = ++last_binding_;
    // A plain password (sylkRTC-2's ha1:false) is kept only as its HA1, the domain its realm.
    std::string ha1 = request.password_is_plain
                          ? sip::md5_hex(request.address.user + ":" + request.address.domain + ":" + request.ha1)
                          : request.ha1;
    client.accounts.emplace(request.account,
                            Account{request.address.user, request.address.domain, std::move(ha1), request.display_name,
                                    binding, false, false, request.user_agent.value_or(""),
                                    request.incoming_header_prefixes, {}});
    bindings_.emplace(binding, BindingOwner{client.id, request.account});
    counters_.accounts.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::RemoveAccount &request) {
    auto it = client.accounts.find(request.account);
    if (it == client.accounts.end()) return "unknown account: " + request.account;
    forget_binding(it->second);
    client.accounts.erase(it);
    counters_.accounts.fetch_sub(1, std::memory_order_relaxed);
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::RegisterAccount &request) {
    auto it = client.accounts.find(request.account);
    if (it == client.accounts.end()) return "unknown account: " + request.account;
    it->second.known_to_sip = true;
    registrar_.register_binding(binding_spec(client, it->second));
    return std::nullopt;
}

sip::BindingSpec Gateway::binding_spec(const Client &client, const Account &account) const {
    return {account.binding, account.user,    account.domain,    account.ha1, account.display_name,
            client.address,  account.user_agent, account.push_params};
}

std::optional<std::string> Gateway::handle(Client &, const protocol::Ping &) { return std::nullopt; }

// Kept as Contact parameters (SylkServer's names): a REGISTER with them goes now if the
// account is registering or registered, else with its next register.
std::optional<std::string> Gateway::handle(Client &client, const protocol::DeviceToken &request) {
    auto it = client.accounts.find(request.account);
    if (it == client.accounts.end()) return "unknown account: " + request.account;
    it->second.push_params = {{"pn_app", request.app},
                              {"pn_tok", request.token},
                              {"pn_type", request.platform},
                              {"pn_device", request.device},
                              {"pn_silent", request.silent ? "1" : "0"}};
    if (it->second.known_to_sip) registrar_.register_binding(binding_spec(client, it->second));
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::FetchAddressbook &request) {
    if (!client.accounts.count(request.account)) return "unknown account: " + request.account;
    after_answer_.push_back(protocol::AddressbookFetchedEvent{request.account});
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &, const protocol::LookupPublicKey &request) {
    after_answer_.push_back(protocol::PublicKeyEvent{request.uri});
    return std::nullopt;
}

std::optional<std::string> Gateway::handle(Client &, const protocol::Unsupported &request) {
    return request.name + " is not supported by this gateway";
}

std::optional<std::string> Gateway::handle(Client &client, const protocol::UnregisterAccount &request) {
    auto it = client.accounts.find(request.account);
    if (it == client.accounts.end()) return "unknown account: " + request.account;
    it->second.push_params.clear();  // as SylkServer: an unregistered account gets no pushes
    if (it->second.known_to_sip) registrar_.unregister_binding(it->second.binding);
    return std::nullopt;
}

// Accounts that never registered cost the SIP thread nothing, not even a message.
void Gateway::forget_binding(const Account &account) {
    if (account.known_to_sip) registrar_.remove_binding(account.binding);
    bindings_.erase(account.binding);
}

void Gateway::registration_changed(const sip::RegistrationUpdate &update) {
    auto owner = bindings_.find(update.binding);
    if (owner == bindings_.end()) return;  // removed meanwhile: its client no longer cares
    auto client = clients_.find(owner->second.client);
    if (client == clients_.end()) return;
    if (auto account = client->second.accounts.find(owner->second.account); account != client->second.accounts.end())
        account->second.registered = update.state == sip::RegistrationState::registered;
    switch (update.state) {
    case sip::RegistrationState::registered: counters_.registrations_registered.fetch_add(1, std::memory_order_relaxed); break;
    case sip::RegistrationState::failed: counters_.registrations_failed.fetch_add(1, std::memory_order_relaxed); break;
    case sip::RegistrationState::unregistered:
        counters_.registrations_unregistered.fetch_add(1, std::memory_order_relaxed);
        break;
    case sip::RegistrationState::registering: break;
    }
    tell(client->second, protocol::RegistrationStateEvent{owner->second.account, sip::to_string(update.state),
                                                          update.reason});
}

}  // namespace sylk::gateway
