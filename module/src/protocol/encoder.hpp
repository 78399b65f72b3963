// Typed answers and events -> the JSON text sent to the client.
#pragma once

#include <string>
#include <string_view>

namespace sylk::protocol {

std::string encode_ack(std::string_view transaction);
std::string encode_error(std::string_view transaction, std::string_view reason);
std::string encode_ready_event();

}  // namespace sylk::protocol
