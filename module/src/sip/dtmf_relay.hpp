// A DTMF digit in a SIP INFO body of type application/dtmf-relay, the form PBXs and
// SylkServer use ("Signal=5\r\nDuration=160\r\n"; no RFC, Cisco's convention). Pure, so
// that what a phone sends can be fuzzed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sylk::sip {

inline constexpr const char *kDtmfRelayType = "application/dtmf-relay";

struct DtmfDigit {
    char digit = '0';            // one of 0-9 * # A-D
    unsigned duration_ms = 160;  // as the sender gave it, else 160
};

// Whether `digit` is a DTMF digit (0-9 * # A-D, upper case).
bool is_dtmf_digit(char digit);

// The INFO body for `digit`.
std::string dtmf_relay_body(const DtmfDigit &digit);

// The digit of a dtmf-relay body: nothing when it names none (or several characters);
// a lower-case a-d is taken as A-D, a missing or unreadable Duration as 160 ms, a
// longer one cut to 10 s.
std::optional<DtmfDigit> read_dtmf_relay(std::string_view body);

}  // namespace sylk::sip
