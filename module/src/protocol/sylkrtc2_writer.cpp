// Events in sylkRTC-2's words: dashed envelopes (account-event, session-event) with the
// payload beside `event`; the caller as {uri, display_name}; `ringing`, `proceeding` and
// `early-media` for the phone's 1xx; `headers` as an object.
#include "protocol/encoder.hpp"
#include "protocol/json_writing.hpp"

namespace sylk::protocol {

namespace json = boost::json;

namespace {

json::object envelope(std::string_view type, std::string_view key, std::string_view id, std::string_view event) {
    json::object message;
    message["sylkrtc"] = json_view(type);
    message[json_view(key)] = json_view(id);
    message["event"] = json_view(event);
    return message;
}

json::object session_state(std::string_view session, std::string_view state) {
    json::object message = envelope("session-event", "session", session, "state");
    message["state"] = json_view(state);
    return message;
}

json::object originator(const std::string &uri, const std::optional<std::string> &display_name) {
    json::object object;
    object["uri"] = json_view(uri);
    if (display_name) object["display_name"] = json_view(*display_name);
    return object;
}

// Never null: the client lists its keys. A header given twice keeps its first value.
json::object header_map(const Headers &headers) {
    json::object map;
    for (const auto &header : headers)
        if (!map.contains(json_view(header.name))) map[json_view(header.name)] = json_view(header.value);
    return map;
}

struct Sylkrtc2Writer {
    std::string operator()(const ReadyEvent &) const { return R"({"sylkrtc":"ready-event"})"; }
    std::string operator()(const RegistrationStateEvent &e) const {
        // The client sets its own state when its unregister is answered: no event, as SylkServer.
        if (e.state == "unregistered") return {};
        json::object message = envelope("account-event", "account", e.account, "registration-state");
        message["state"] = json_view(e.state);
        put_if_set(message, "reason", e.reason);
        return json::serialize(message);
    }
    std::string operator()(const IncomingSessionEvent &e) const {
        json::object message = envelope("account-event", "account", e.account, "incoming-session");
        message["session"] = json_view(e.session);
        message["originator"] = originator(e.originator, e.display_name);
        message["sdp"] = json_view(e.sdp);
        message["call_id"] = json_view(e.call_id);
        message["headers"] = header_map(e.headers);
        return json::serialize(message);
    }
    std::string operator()(const MissedSessionEvent &e) const {
        json::object message = envelope("account-event", "account", e.account, "missed-session");
        message["session"] = json_view(e.session);
        message["originator"] = originator(e.originator, e.display_name);
        return json::serialize(message);
    }
    std::string operator()(const SessionPlacedEvent &e) const { return json::serialize(session_state(e.session, "progress")); }
    std::string operator()(const SessionProgressEvent &e) const {
        if (!e.early_answer.empty()) {
            json::object message = session_state(e.session, "early-media");
            message["sdp"] = json_view(e.early_answer);
            put_if_set(message, "call_id", e.call_id);
            return json::serialize(message);
        }
        if (e.code == 180) return json::serialize(session_state(e.session, "ringing"));
        json::object message = session_state(e.session, "proceeding");
        message["code"] = e.code;
        return json::serialize(message);
    }
    std::string operator()(const SessionStateEvent &e) const {
        json::object message = session_state(e.session, e.state);
        // The client applies an answer once: after early-media, `accepted` comes without one.
        if (!e.answer_given_early) put_if_set(message, "sdp", e.sdp);
        put_if_set(message, "reason", e.reason);
        if (e.state == "accepted") {
            put_if_set(message, "call_id", e.call_id);
            if (!e.headers.empty()) message["headers"] = header_map(e.headers);
        }
        return json::serialize(message);
    }
    std::string operator()(const SessionDtmfEvent &e) const {
        json::object message = envelope("session-event", "session", e.session, "dtmf");
        message["digit"] = std::string(1, e.digit);
        message["duration"] = e.duration_ms;
        return json::serialize(message);
    }
    // Only what the client answers or waits for: a change the gateway settled with the
    // phone alone has no word here (the client is offered it as `received` instead).
    std::string operator()(const SessionUpdateEvent &e) const {
        if (e.state.empty()) return {};
        json::object message = envelope("session-event", "session", e.session, "update");
        message["state"] = json_view(e.state);
        put_if_set(message, "sdp", e.sdp);
        put_if_set(message, "reason", e.reason);
        return json::serialize(message);
    }
    std::string operator()(const AddressbookFetchedEvent &e) const {
        json::object message = envelope("account-event", "account", e.account, "addressbook-fetched");
        json::object book;
        book["contacts"] = json::array();
        book["groups"] = json::array();
        book["policies"] = json::array();
        message["addressbook"] = std::move(book);
        return json::serialize(message);
    }
    std::string operator()(const PublicKeyEvent &e) const {
        json::object message;
        message["sylkrtc"] = "lookup-public-key-event";
        message["uri"] = json_view(e.uri);
        return json::serialize(message);
    }
};

}  // namespace

std::string write_sylkrtc2(const Event &event) { return std::visit(Sylkrtc2Writer{}, event); }

}  // namespace sylk::protocol
