// What the gateway needs from the SIP side for calls. Implemented by sip::SipAgent;
// calls are posted to the SIP thread and return at once; what happens comes back as
// sip::CallUpdate through the gateway's WebThreadRelay.
#pragma once

#include "sip/call_types.hpp"

#include <cstdint>
#include <string>

namespace sylk::gateway {

class CallControl {
public:
    virtual ~CallControl() = default;
    virtual void place_call(sip::OutgoingCallSpec spec) = 0;
    virtual void answer_call(sip::CallId call, std::string sdp) = 0;
    // CANCEL an unanswered outgoing call, decline an unanswered incoming one with
    // `decline_code`, or BYE an answered one.
    virtual void end_call(sip::CallId call, std::uint16_t decline_code) = 0;
};

}  // namespace sylk::gateway
