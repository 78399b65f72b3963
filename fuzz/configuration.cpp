// The JSON settings a host passes to create() -> Configuration (config::parse_configuration).
#include "check.hpp"

#include "config/configuration.hpp"
#include "protocol/account_address.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

using namespace sylk;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    config::ParsedConfiguration parsed =
        config::parse_configuration(std::string(reinterpret_cast<const char *>(data), size));
    if (!parsed.configuration) {
        FUZZ_CHECK(!parsed.error.reason.empty());
        return 0;
    }
    // Every value that was accepted is within its documented range.
    const config::Configuration &c = *parsed.configuration;
    FUZZ_CHECK(c.web_listen_port >= 1);
    FUZZ_CHECK(!c.web_listen_address.empty() && !c.sip_listen_address.empty());
    FUZZ_CHECK(c.websocket_ping_interval <= 86400);
    FUZZ_CHECK(c.websocket_max_message_size >= 1024 && c.websocket_max_message_size <= 64 * 1024 * 1024);
    FUZZ_CHECK(c.register_expires >= 10 && c.register_expires <= 86400);
    FUZZ_CHECK(c.unregister_timeout <= 60);
    FUZZ_CHECK(c.web_origins.any || !c.web_origins.values.empty());
    FUZZ_CHECK(c.sip_domains.any || !c.sip_domains.values.empty());
    for (const auto &domain : c.sip_domains.values) {
        FUZZ_CHECK(protocol::is_valid_host(domain));
        for (char ch : domain) FUZZ_CHECK(!std::isupper(static_cast<unsigned char>(ch)));
    }
    return 0;
}
