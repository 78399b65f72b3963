#include "sip/dtmf_relay.hpp"

#include <cctype>
#include <cstring>

namespace sylk::sip {

namespace {

constexpr unsigned kMaxDurationMs = 10000;

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
}

bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

bool is_dtmf_digit(char digit) { return digit != '\0' && std::strchr("0123456789*#ABCD", digit) != nullptr; }

std::string dtmf_relay_body(const DtmfDigit &digit) {
    return std::string("Signal=") + digit.digit + "\r\nDuration=" + std::to_string(digit.duration_ms) + "\r\n";
}

std::optional<DtmfDigit> read_dtmf_relay(std::string_view body) {
    std::optional<char> signal;
    DtmfDigit result;
    while (!body.empty()) {
        std::size_t end = body.find('\n');
        std::string_view line = body.substr(0, end);
        body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
        std::size_t equals = line.find('=');
        if (equals == std::string_view::npos) continue;
        std::string_view name = trimmed(line.substr(0, equals)), value = trimmed(line.substr(equals + 1));
        if (same_name(name, "Signal")) {
            if (value.size() != 1) return std::nullopt;
            char digit = static_cast<char>(std::toupper(static_cast<unsigned char>(value[0])));
            if (!is_dtmf_digit(digit)) return std::nullopt;
            signal = digit;
        } else if (same_name(name, "Duration")) {
            unsigned duration = 0;
            bool digits = !value.empty() && value.size() <= 6;
            for (char c : value) {
                if (c < '0' || c > '9') digits = false;
                else duration = duration * 10 + static_cast<unsigned>(c - '0');
            }
            if (digits && duration > 0) result.duration_ms = duration > kMaxDurationMs ? kMaxDurationMs : duration;
        }
    }
    if (!signal) return std::nullopt;
    result.digit = *signal;
    return result;
}

}  // namespace sylk::sip
