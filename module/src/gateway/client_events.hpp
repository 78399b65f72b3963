// What the web endpoint tells the gateway about its clients. Implemented by
// gateway::Gateway; called on the web thread only.
#pragma once

#include "gateway/client_transport.hpp"
#include "protocol/dialect.hpp"

#include <string>
#include <string_view>

namespace sylk::gateway {

class ClientEvents {
public:
    virtual ~ClientEvents() = default;
    // `dialect`: the one its handshake chose (protocol::choose_dialect).
    virtual void client_opened(ClientId client, std::string peer, protocol::Dialect dialect) = 0;
    virtual void client_message(ClientId client, std::string_view text) = 0;
    virtual void client_closed(ClientId client) = 0;
};

}  // namespace sylk::gateway
