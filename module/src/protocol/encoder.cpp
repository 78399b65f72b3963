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

std::string encode_ready_event() { return R"({"sylkrtc":"event","event":"ready"})"; }

std::string encode_registration_state(std::string_view account, std::string_view state, std::string_view reason) {
    json::object data;
    data["state"] = json::string_view(state.data(), state.size());
    if (!reason.empty()) data["reason"] = json::string_view(reason.data(), reason.size());
    json::object message;
    message["sylkrtc"] = "account_event";
    message["account"] = json::string_view(account.data(), account.size());
    message["event"] = "registration_state";
    message["data"] = std::move(data);
    return json::serialize(message);
}

}  // namespace sylk::protocol
