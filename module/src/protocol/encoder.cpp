#include "protocol/encoder.hpp"

#include <boost/json.hpp>

namespace sylk::protocol {

namespace json = boost::json;

std::string encode_ack(std::string_view transaction) {
    // The hot path of every request: built as text, with only the string escaped.
    std::string text = R"({"sylkrtc":"ack","transaction":)";
    text += json::serialize(json::string_view(transaction.data(), transaction.size()));
    text += '}';
    return text;
}

std::string encode_error(std::string_view transaction, std::string_view reason) {
    json::object message;
    message["sylkrtc"] = "error";
    message["transaction"] = json::string_view(transaction.data(), transaction.size());
    message["error"] = json::string_view(reason.data(), reason.size());
    return json::serialize(message);
}

std::string encode(const Event &event, Dialect dialect) {
    return dialect == Dialect::sylkrtc2 ? write_sylkrtc2(event) : write_sylkrtc1(event);
}

}  // namespace sylk::protocol
