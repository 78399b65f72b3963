// Events in sylkRTC-1's words: underscore envelopes (account_event, session_event) with
// the payload under `data`; the caller as a plain user@domain.
#include "protocol/encoder.hpp"
#include "protocol/json_writing.hpp"

namespace sylk::protocol {

namespace json = boost::json;

namespace {

std::string session_event(std::string_view session, std::string_view event, json::object data) {
    json::object message;
    message["sylkrtc"] = "session_event";
    message["session"] = json_view(session);
    message["event"] = json_view(event);
    message["data"] = std::move(data);
    return json::serialize(message);
}

std::string account_event(std::string_view account, std::string_view session, std::string_view event,
                          json::object data) {
    json::object message;
    message["sylkrtc"] = "account_event";
    message["account"] = json_view(account);
    if (!session.empty()) message["session"] = json_view(session);
    message["event"] = json_view(event);
    message["data"] = std::move(data);
    return json::serialize(message);
}

json::object state_data(std::string_view state, std::string_view sdp = {}, std::string_view reason = {}) {
    json::object data;
    data["state"] = json_view(state);
    put_if_set(data, "sdp", sdp);
    put_if_set(data, "reason", reason);
    return data;
}

struct Sylkrtc1Writer {
    std::string operator()(const ReadyEvent &) const { return R"({"sylkrtc":"event","event":"ready"})"; }
    std::string operator()(const RegistrationStateEvent &e) const {
        json::object data;
        data["state"] = json_view(e.state);
        put_if_set(data, "reason", e.reason);
        return account_event(e.account, {}, "registration_state", std::move(data));
    }
    std::string operator()(const IncomingSessionEvent &e) const {
        json::object data;
        data["originator"] = json_view(e.originator);
        if (e.display_name) data["display_name"] = json_view(*e.display_name);
        data["sdp"] = json_view(e.sdp);
        return account_event(e.account, e.session, "incoming_session", std::move(data));
    }
    std::string operator()(const MissedSessionEvent &e) const {
        json::object data;
        data["originator"] = json_view(e.originator);
        return account_event(e.account, e.session, "missed_session", std::move(data));
    }
    // No word for it: the first `progress` comes with the phone's first 1xx.
    std::string operator()(const SessionPlacedEvent &) const { return {}; }
    std::string operator()(const SessionProgressEvent &e) const {
        return session_event(e.session, "state", state_data("progress", e.early_answer));
    }
    // An answer given early comes again on `accepted`: this dialect has no early-media state.
    std::string operator()(const SessionStateEvent &e) const {
        return session_event(e.session, "state", state_data(e.state, e.sdp, e.reason));
    }
    std::string operator()(const SessionDtmfEvent &e) const {
        json::object data;
        data["digit"] = std::string(1, e.digit);
        data["duration"] = e.duration_ms;
        return session_event(e.session, "dtmf", std::move(data));
    }
    std::string operator()(const SessionUpdateEvent &e) const {
        json::object data;
        data["originator"] = json_view(e.originator);
        put_if_set(data, "state", e.state);
        if (e.state != "failed") data["hold"] = e.hold;
        put_if_set(data, "sdp", e.sdp);
        put_if_set(data, "reason", e.reason);
        return session_event(e.session, "update", std::move(data));
    }
    // Answers to sylkRTC-2 requests only.
    std::string operator()(const AddressbookFetchedEvent &) const { return {}; }
    std::string operator()(const PublicKeyEvent &) const { return {}; }
};

}  // namespace

std::string write_sylkrtc1(const Event &event) { return std::visit(Sylkrtc1Writer{}, event); }

}  // namespace sylk::protocol
