// Per-connection protocol state: the accounts each client added, and the answers to
// its requests. Runs on the web thread only; knows nothing of WebSocket framing.
#pragma once

#include "config/configuration.hpp"
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
};

class Gateway {
public:
    Gateway(const config::Configuration &configuration, const log::Logger &logger,
            Counters &counters, ClientTransport &transport);

    void client_opened(ClientId client, std::string peer);
    void client_message(ClientId client, std::string_view text);
    void client_closed(ClientId client);

private:
    struct Client {
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

    const config::Configuration &configuration_;
    const log::Logger &logger_;
    Counters &counters_;
    ClientTransport &transport_;
    std::unordered_map<ClientId, Client> clients_;
};

}  // namespace sylk::gateway
