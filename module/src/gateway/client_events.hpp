// What the web endpoint tells the gateway about its clients. Implemented by
// gateway::Gateway; called on the web thread only.
#pragma once

#include "gateway/client_transport.hpp"

#include <string>
#include <string_view>

namespace sylk::gateway {

class ClientEvents {
public:
    virtual ~ClientEvents() = default;
    virtual void client_opened(ClientId client, std::string peer) = 0;
    virtual void client_message(ClientId client, std::string_view text) = 0;
    virtual void client_closed(ClientId client) = 0;
};

}  // namespace sylk::gateway
