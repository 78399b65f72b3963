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

namespace sylk::protocol {

namespace {

json::string_view view(std::string_view text) { return json::string_view(text.data(), text.size()); }

// {"sylkrtc":"account_event","account":...,"session":...,"event":...,"data":...}
std::string account_session_event(std::string_view account, std::string_view session, std::string_view event,
                                  json::object data) {
    json::object message;
    message["sylkrtc"] = "account_event";
    message["account"] = view(account);
    message["session"] = view(session);
    message["event"] = view(event);
    message["data"] = std::move(data);
    return json::serialize(message);
}

// {"sylkrtc":"session_event","session":...,"event":...,"data":...}
std::string session_event(std::string_view session, std::string_view event, json::object data) {
    json::object message;
    message["sylkrtc"] = "session_event";
    message["session"] = view(session);
    message["event"] = view(event);
    message["data"] = std::move(data);
    return json::serialize(message);
}

}  // namespace

std::string encode_session_state(std::string_view session, std::string_view state, std::string_view sdp,
                                 std::string_view reason) {
    json::object data;
    data["state"] = view(state);
    if (!sdp.empty()) data["sdp"] = view(sdp);
    if (!reason.empty()) data["reason"] = view(reason);
    return session_event(session, "state", std::move(data));
}

std::string encode_incoming_session(std::string_view account, std::string_view session, std::string_view originator,
                                    const std::optional<std::string> &display_name, std::string_view sdp) {
    json::object data;
    data["originator"] = view(originator);
    if (display_name) data["display_name"] = view(*display_name);
    data["sdp"] = view(sdp);
    return account_session_event(account, session, "incoming_session", std::move(data));
}

std::string encode_session_dtmf(std::string_view session, char digit, unsigned duration_ms) {
    json::object data;
    data["digit"] = std::string(1, digit);
    data["duration"] = duration_ms;
    return session_event(session, "dtmf", std::move(data));
}

std::string encode_session_update(std::string_view session, std::string_view originator, std::string_view state,
                                  bool hold, std::string_view sdp, std::string_view reason) {
    json::object data;
    data["originator"] = view(originator);
    if (!state.empty()) data["state"] = view(state);
    if (state != "failed") data["hold"] = hold;
    if (!sdp.empty()) data["sdp"] = view(sdp);
    if (!reason.empty()) data["reason"] = view(reason);
    return session_event(session, "update", std::move(data));
}

std::string encode_missed_session(std::string_view account, std::string_view session, std::string_view originator) {
    json::object data;
    data["originator"] = view(originator);
    return account_session_event(account, session, "missed_session", std::move(data));
}

}  // namespace sylk::protocol
