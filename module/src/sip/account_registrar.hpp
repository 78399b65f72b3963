// The SIP side's face for accounts, as the gateway uses it. Implemented by SipAgent;
// calls are queued to the SIP thread and return at once.
#pragma once

#include "sip/registration_types.hpp"

namespace sylk::sip {

class AccountRegistrar {
public:
    virtual ~AccountRegistrar() = default;
    virtual void register_binding(BindingSpec spec) = 0;
    virtual void unregister_binding(BindingId binding) = 0;
    virtual void remove_binding(BindingId binding) = 0;  // unregister if needed, then forget
};

}  // namespace sylk::sip
