// A phone's SIP INFO body (application/dtmf-relay) -> sip::read_dtmf_relay, as SipCall
// reads it before the digit reaches the browser in a dtmf event.
// Properties: a digit read is one of 0-9 * # A-D with a duration from 1 ms to 10 s; the
// body the gateway would write for it reads back as the same digit and duration; and
// the event carrying it is valid JSON with exactly that digit.
#include "check.hpp"

#include "protocol/encoder.hpp"
#include "sip/dtmf_relay.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char *>(data), size);
    auto digit = sylk::sip::read_dtmf_relay(body);
    if (!digit) return 0;
    FUZZ_CHECK(sylk::sip::is_dtmf_digit(digit->digit));
    FUZZ_CHECK(digit->duration_ms >= 1 && digit->duration_ms <= 10000);
    auto again = sylk::sip::read_dtmf_relay(sylk::sip::dtmf_relay_body(*digit));
    FUZZ_CHECK(again && again->digit == digit->digit && again->duration_ms == digit->duration_ms);
    boost::json::error_code error;
    auto event = boost::json::parse(sylk::protocol::encode(
        sylk::protocol::SessionDtmfEvent{"S", digit->digit, digit->duration_ms}, sylk::protocol::Dialect::sylkrtc1), error);
    FUZZ_CHECK(!error && event.at("data").at("digit").as_string() == std::string(1, digit->digit));
    return 0;
}
