// Typed answers and events -> the JSON text sent to the client, in its dialect.
#pragma once

#include "protocol/dialect.hpp"
#include "protocol/events.hpp"

#include <string>
#include <string_view>

namespace sylk::protocol {

// The same in both dialects.
std::string encode_ack(std::string_view transaction);
std::string encode_error(std::string_view transaction, std::string_view reason);

// The event as `dialect` writes it; empty when that dialect has no words for it (a
// sylkRTC-1 client hears of an outgoing call first from the phone's 1xx).
std::string encode(const Event &event, Dialect dialect);

// One writer per dialect (sylkrtc1_writer.cpp, sylkrtc2_writer.cpp).
std::string write_sylkrtc1(const Event &event);
std::string write_sylkrtc2(const Event &event);

}  // namespace sylk::protocol
