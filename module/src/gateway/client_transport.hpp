// What the gateway needs from the web endpoint: a way to send text to one client.
#pragma once

#include <cstdint>
#include <string>

namespace sylk::gateway {

using ClientId = std::uint64_t;

class ClientTransport {
public:
    virtual ~ClientTransport() = default;
    // Queues one text frame; dropped silently when the client is already gone.
    virtual void send_text(ClientId client, std::string text) = 0;
};

}  // namespace sylk::gateway
