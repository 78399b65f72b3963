// What the web thread asks of the SIP thread, as typed values moved across in a
// loop::LoopInbox (never shared, never a raw pointer).
#pragma once

#include "sip/call_types.hpp"
#include "sip/registration_types.hpp"

#include <variant>

namespace sylk::sip {

struct RegisterBinding {
    BindingSpec spec;
};
struct UnregisterBinding {
    BindingId binding = 0;
};
struct RemoveBinding {  // unregister if needed, then forget
    BindingId binding = 0;
};
struct PlaceCall {
    OutgoingCallSpec spec;
};
struct AnswerCall {
    CallId call = 0;
    std::string sdp;
    std::string extra_headers;
};
struct EndCall {
    CallId call = 0;
    std::uint16_t decline_code = 486;
};
struct SendDtmf {
    CallId call = 0;
    char digit = '0';
    unsigned duration_ms = 0;
};
struct AnswerUpdate {
    CallId call = 0;
    std::uint32_t update_seq = 0;
    std::uint16_t code = 200;
    std::string sdp;
};
struct UpdateCall {
    CallId call = 0;
    std::string sdp;
};
struct StopAgent {};  // unregister everything (bounded by unregister_timeout), then end the loop

// Posted by the SIP thread to itself: a Registration or a call is never destroyed
// inside its own callback.
struct ForgetBinding {
    BindingId binding = 0;
};
struct ForgetCall {
    CallId call = 0;
};

using SipCommand = std::variant<RegisterBinding, UnregisterBinding, RemoveBinding, PlaceCall, AnswerCall, EndCall,
                                SendDtmf, AnswerUpdate, UpdateCall, StopAgent, ForgetBinding, ForgetCall>;

}  // namespace sylk::sip
