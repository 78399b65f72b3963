// A client's text frame -> typed request (protocol::decode_message), in both dialects,
// and the masked copy trace logs print (protocol::masked_for_log).
#include "check.hpp"

#include "protocol/account_address.hpp"
#include "protocol/client_headers.hpp"
#include "protocol/decoder.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

using namespace sylk::protocol;

namespace {

bool is_account(const std::string &account) { return parse_account_address(account).has_value(); }

// What the gateway may rely on once a request is decoded.
void check_request(const Request &request) {
    std::visit(
        [](const auto &r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, AddAccount>) {
                FUZZ_CHECK(is_account(r.account));
                FUZZ_CHECK(is_valid_ha1(r.ha1) || r.password_is_plain);  // plain: sylkRTC-2 only
            } else if constexpr (std::is_same_v<T, RemoveAccount> || std::is_same_v<T, RegisterAccount> ||
                                 std::is_same_v<T, UnregisterAccount>) {
                FUZZ_CHECK(is_account(r.account));
            } else if constexpr (std::is_same_v<T, SessionCreate>) {
                FUZZ_CHECK(is_account(r.account));
                FUZZ_CHECK(!r.session.empty() && !r.sdp.empty());
                FUZZ_CHECK(is_valid_call_target(r.uri));
                FUZZ_CHECK(r.headers.size() <= kMaxClientHeaders);
                for (const auto &header : r.headers) FUZZ_CHECK(!client_header_problem(header));
            } else if constexpr (std::is_same_v<T, SessionAnswer>) {
                FUZZ_CHECK(!r.session.empty() && !r.sdp.empty());
                for (const auto &header : r.headers) FUZZ_CHECK(!client_header_problem(header));
            } else if constexpr (std::is_same_v<T, SessionTrickle>) {
                FUZZ_CHECK(!r.session.empty());
                for (const auto &candidate : r.candidates)
                    FUZZ_CHECK(!candidate.sdp_mline_index || *candidate.sdp_mline_index < 1024);
            } else if constexpr (std::is_same_v<T, SessionTerminate>) {
                FUZZ_CHECK(!r.session.empty());
            }
        },
        request);
}

void check_decoding(std::string_view text, Dialect dialect) {
    DecodedMessage decoded = decode_message(text, dialect);
    if (dialect == Dialect::sylkrtc1)
        if (const auto *add = std::get_if<AddAccount>(&decoded.request)) FUZZ_CHECK(!add->password_is_plain);
    switch (decoded.outcome) {
    case DecodedMessage::Outcome::request:
        FUZZ_CHECK(decoded.problem.empty());
        check_request(decoded.request);
        break;
    case DecodedMessage::Outcome::reply_error:
    case DecodedMessage::Outcome::drop:
        FUZZ_CHECK(!decoded.problem.empty());
        break;
    }

    // The trace log never shows the HA1 of a decoded add_account.
    std::string masked = masked_for_log(text);
    if (const auto *add = std::get_if<AddAccount>(&decoded.request);
        add && decoded.outcome == DecodedMessage::Outcome::request)
        // (unless the password is the mask's own text, as a found input had it)
        FUZZ_CHECK(add->ha1 == "<HA1 hidden>" ||
                   masked.find("\"password\":\"" + add->ha1 + "\"") == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char *>(data), size);
    check_decoding(text, Dialect::sylkrtc1);
    check_decoding(text, Dialect::sylkrtc2);
    return 0;
}
