// The SIP side's face for calls, as the gateway uses it. Implemented by SipAgent;
// calls are posted to the SIP thread and return at once; what happens comes back as
// CallUpdate through a CallListener (the gateway's WebThreadRelay).
#pragma once

#include "sip/call_types.hpp"

#include <cstdint>
#include <string>

namespace sylk::sip {

class CallControl {
public:
    virtual ~CallControl() = default;
    virtual void place_call(OutgoingCallSpec spec) = 0;
    // 200 OK with `sdp`; `extra_headers`: whole header lines the client added, already checked.
    virtual void answer_call(CallId call, std::string sdp, std::string extra_headers) = 0;
    // CANCEL an unanswered outgoing call, decline an unanswered incoming one with
    // `decline_code`, or BYE an answered one.
    virtual void end_call(CallId call, std::uint16_t decline_code) = 0;
    // A DTMF digit to the phone, as SIP INFO (application/dtmf-relay).
    virtual void send_dtmf(CallId call, char digit, unsigned duration_ms) = 0;
    // The answer to the phone's offer `update_seq` (CallUpdate::reoffer): 200 with `sdp`,
    // or a failure code (488, 491) that leaves the session as it was.
    virtual void answer_update(CallId call, std::uint32_t update_seq, std::uint16_t code, std::string sdp) = 0;
    // Our new offer to the phone in a re-INVITE (hold, resume); its outcome comes back
    // as CallUpdate::update_answered.
    virtual void update_call(CallId call, std::string sdp) = 0;
};

}  // namespace sylk::sip
