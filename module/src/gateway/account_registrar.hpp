// What the gateway needs from the SIP side for accounts. Implemented by sip::SipAgent;
// calls are queued to the SIP thread and return at once.
#pragma once

#include "sip/registration_types.hpp"

namespace sylk::gateway {

class AccountRegistrar {
public:
    virtual ~AccountRegistrar() = default;
    virtual void register_binding(sip::BindingSpec spec) = 0;
    virtual void unregister_binding(sip::BindingId binding) = 0;
    virtual void remove_binding(sip::BindingId binding) = 0;  // unregister if needed, then forget
};

}  // namespace sylk::gateway
