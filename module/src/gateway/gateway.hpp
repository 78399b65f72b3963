// Per-connection protocol state: the accounts each client added, its calls, and the
// answers to its requests. Runs on the web thread only; knows nothing of WebSocket
// framing. Requests and accounts are in gateway.cpp, calls in gateway_calls.cpp.
#pragma once

#include "access/address_policy.hpp"
#include "access/token_bucket.hpp"
#include "call/call_session.hpp"
#include "config/configuration.hpp"
#include "gateway/client_events.hpp"
#include "gateway/client_transport.hpp"
#include "log/log_budget.hpp"
#include "log/logger.hpp"
#include "media/media_engine.hpp"
#include "protocol/dialect.hpp"
#include "protocol/events.hpp"
#include "protocol/requests.hpp"
#include "sip/account_registrar.hpp"
#include "sip/call_control.hpp"
#include "stats/counters.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sylk::gateway {

struct Account {
    std::string user;    // parsed once, when the account is added
    std::string domain;
    std::string ha1;
    std::optional<std::string> display_name;
    sip::BindingId binding = 0;  // this account on this connection, for the SIP side
    bool known_to_sip = false;   // register was asked: the SIP side must hear of its removal
    bool registered = false;     // the registrar accepted it (its digest proved the client knows the HA1)
    // sylkRTC-2:
    std::string user_agent;                            // empty: the gateway's own
    std::vector<std::string> incoming_header_prefixes;  // the headers of its calls it is told
    std::vector<std::pair<std::string, std::string>> push_params;  // Contact parameters of its REGISTERs
};

class Gateway final : public ClientEvents {
public:
    // `media` may be null: calls are then refused ("calls are not available yet").
    Gateway(const config::Configuration &configuration, const log::Logger &logger, stats::Counters &counters,
            ClientTransport &transport, sip::AccountRegistrar &registrar, sip::CallControl &calls, media::MediaEngine *media);

    void client_opened(ClientId client, std::string peer, protocol::Dialect dialect) override;
    void client_message(ClientId client, std::string_view text) override;
    void client_closed(ClientId client) override;
    // From the SIP side (already moved onto this thread).
    void registration_changed(const sip::RegistrationUpdate &update);
    void call_changed(const sip::CallUpdate &update);
    void media_changed(const media::MediaEvent &event);

private:
    struct Client {
        ClientId id;
        std::string peer;     // for log lines
        std::string address;  // the peer without its port: the SIP side's windows share by it
        protocol::Dialect dialect;  // how its requests are read and its events written
        std::map<std::string, Account> accounts;
        std::map<std::string, sip::CallId> sessions;  // by the client's session id
        log::LogBudget warnings;  // what this client makes the gateway log at warning level
        access::TokenBucket requests;  // max_requests_per_second
    };

    // One call of a client: the client's name for it, and the call itself.
    struct Session {
        ClientId client = 0;
        std::string id;          // as the client knows it
        std::string account;     // user@domain
        std::string originator;  // incoming: user@domain of the caller
        call::CallSession call;
        std::optional<std::string> originator_display_name;  // incoming
        std::string call_id;                                  // the SIP Call-ID, once known
        protocol::Headers answer_headers;                     // outgoing: the 2xx's, as the account asked
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
    std::optional<std::string> handle(Client &client, const protocol::SessionDtmf &request);
    std::optional<std::string> handle(Client &client, const protocol::SessionUpdate &request);
    std::optional<std::string> handle(Client &client, const protocol::Ping &request);
    std::optional<std::string> handle(Client &client, const protocol::DeviceToken &request);
    std::optional<std::string> handle(Client &client, const protocol::FetchAddressbook &request);
    std::optional<std::string> handle(Client &client, const protocol::LookupPublicKey &request);
    std::optional<std::string> handle(Client &client, const protocol::Unsupported &request);

    void send(ClientId client, const Client &state, std::string text);
    // The event in the client's dialect; nothing when its dialect has no words for it.
    void tell(const Client &client, const protocol::Event &event);
    sip::BindingSpec binding_spec(const Client &client, const Account &account) const;
    // Why `client` may not start another call now (a limit), or nothing.
    std::optional<std::string> call_limit_problem(const Client &client) const;
    void forget_binding(const Account &account);

    // gateway_calls.cpp
    void incoming_call(const sip::CallUpdate &update);
    void tell(const Session &session, const call::ClientNotices &notices);
    std::string incoming_session_id(const Client &client, const sip::CallUpdate &update) const;
    void end_calls_of(Client &client);

    const config::Configuration &configuration_;
    const access::AddressPolicy address_policy_;  // where SIP targets and phones' media may be
    const log::Logger &logger_;
    stats::Counters &counters_;
    ClientTransport &transport_;
    sip::AccountRegistrar &registrar_;
    std::unordered_map<ClientId, Client> clients_;
    // Events a request gives rise to, told after its ack (the session-create's `progress`).
    std::vector<protocol::Event> after_answer_;
    struct BindingOwner {
        ClientId client;
        std::string account;
    };
    std::unordered_map<sip::BindingId, BindingOwner> bindings_;
    sip::BindingId last_binding_ = 0;
    sip::CallControl &calls_;
    media::MediaEngine *media_;
    std::optional<call::CallServices> call_services_;  // with media only: no call starts without it
    std::unordered_map<sip::CallId, Session> sessions_;
    sip::CallId last_call_ = 0;
};

}  // namespace sylk::gateway
