// Typed answers and events -> the JSON text sent to the client.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sylk::protocol {

std::string encode_ack(std::string_view transaction);
std::string encode_error(std::string_view transaction, std::string_view reason);
std::string encode_ready_event();
// {"sylkrtc":"account_event","event":"registration_state","data":{"state":...,"reason":...}};
// reason is left out when empty.
std::string encode_registration_state(std::string_view account, std::string_view state, std::string_view reason);

// {"sylkrtc":"session_event","session":...,"event":"state","data":{"state":...,"sdp":...,"reason":...}};
// sdp and reason are left out when empty.
std::string encode_session_state(std::string_view session, std::string_view state, std::string_view sdp = {},
                                 std::string_view reason = {});
std::string encode_incoming_session(std::string_view account, std::string_view session, std::string_view originator,
                                    const std::optional<std::string> &display_name, std::string_view sdp);
// {"sylkrtc":"session_event","session":...,"event":"dtmf","data":{"digit":"5","duration":160}}:
// a digit the phone sent (SIP INFO).
std::string encode_session_dtmf(std::string_view session, char digit, unsigned duration_ms);
// {"sylkrtc":"session_event","session":...,"event":"update","data":{...}}: the phone
// changed the session ({"originator":"remote","hold":true}), or the browser's
// session-update was answered ({"originator":"local","state":"accepted","sdp":...,
// "hold":false} or {"originator":"local","state":"failed","reason":...}).
std::string encode_session_update(std::string_view session, std::string_view originator, std::string_view state,
                                  bool hold, std::string_view sdp, std::string_view reason);
std::string encode_missed_session(std::string_view account, std::string_view session, std::string_view originator);

}  // namespace sylk::protocol
