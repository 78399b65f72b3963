// The identifiers a client sends: accounts (user@domain), hosts, call targets, HA1s
// (protocol/account_address.hpp).
#include "check.hpp"

#include "protocol/account_address.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace sylk::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char *>(data), size);

    if (auto address = parse_account_address(text)) {
        FUZZ_CHECK(!address->user.empty());
        FUZZ_CHECK(is_valid_host(address->domain));
        for (char c : address->domain) FUZZ_CHECK(!std::isupper(static_cast<unsigned char>(c)));
        FUZZ_CHECK(is_valid_call_target(text));  // an account is also a valid call target
        // Parsing what was parsed gives it back (the gateway keys accounts by it).
        auto again = parse_account_address(address->user + "@" + address->domain);
        FUZZ_CHECK(again && again->user == address->user && again->domain == address->domain);
    }

    bool call_target = is_valid_call_target(text);
    if (is_valid_host(text)) FUZZ_CHECK(call_target);  // a bare host is a valid call target
    if (is_valid_ha1(text)) FUZZ_CHECK(size == 32);
    return 0;
}
