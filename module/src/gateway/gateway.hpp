// Per-connection protocol state: the accounts each client added, and the answers to
// its requests. Runs on the web thread only; knows nothing of WebSocket framing.
#pragma once

#include "config/configuration.hpp"
#include "gateway/account_registrar.hpp"
#include "gateway/client_transport.hpp"
#include "gateway/counters.hpp"
#include "log/logger.hpp"
#include "protocol/requests.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sylk::gateway {

struct Account {
    std::string ha1;
    std::optional<std::string> display_name;
    sip::BindingId binding = 0;  // this account on this connection, for the SIP side
    bool known_to_sip = false;   // register was asked: the SIP side must hear of its removal
};

class Gateway {
public:
    Gateway(const config::Configuration &configuration, const log::Logger &logger,
            Counters &counters, ClientTransport &transport, AccountRegistrar &registrar);

    void client_opened(ClientId client, std::string peer);
    void client_message(ClientId client, std::string_view text);
    void client_closed(ClientId client);
    // From the SIP side (already moved onto this thread).
    void registration_changed(const sip::RegistrationUpdate &update);

private:
    struct Client {
        ClientId id;
        std::string peer;  // for log lines
        std::map<std::string, Account> accounts;
    };

    // Returns the error text, or nothing when the request is accepted.
    std::optional<std::string> handle(Client &client, const protocol::Request &request);
    std::optional<std::string> handle(Client &client, const protocol::AddAccount &request);
    std::optional<std::string> handle(Client &client, const protocol::RemoveAccount &request);
    std::optional<std::string> handle(Client &client, const protocol::RegisterAccount &request);
    std::optional<std::string> handle(Client &client, const protocol::UnregisterAccount &request);
    std::optional<std::string> handle(Client &client, const protocol::SessionCreate &request);
    std::optional<std::string> handle(Client &client, const protocol::SessionAnswer &request);
    std::optional<std::string> handle(Client &client, const protocol::SessionTrickle &request);
    std::optional<std::string> handle(Client &client, const protocol::SessionTerminate &request);

    void send(ClientId client, const Client &state, std::string text);
    void forget_binding(const Account &account);

    const config::Configuration &configuration_;
    const log::Logger &logger_;
    Counters &counters_;
    ClientTransport &transport_;
    AccountRegistrar &registrar_;
    std::unordered_map<ClientId, Client> clients_;
    struct BindingOwner {
        ClientId client;
        std::string account;
    };
    std::unordered_map<sip::BindingId, BindingOwner> bindings_;
    sip::BindingId last_binding_ = 0;
};

}  // namespace sylk::gateway
