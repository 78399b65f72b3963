#include "log/logger.hpp"

#include "text/utf8.hpp"

namespace sylk::log {

std::string printable_line(std::string_view message) {
    bool cut = message.size() > kMaxLineBytes;
    std::string_view kept = cut ? message.substr(0, kMaxLineBytes) : message;
    std::string line;
    line.reserve(kept.size() + 16);
    static const char hex[] = "0123456789abcdef";
    for (char c : kept) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            line += "\\x";
            line += hex[byte >> 4];
            line += hex[byte & 0xF];
        } else {
            line += c;
        }
    }
    line = text::utf8_repaired(std::move(line));  // a cut in the middle of a character too
    if (cut) line += " ... (" + std::to_string(message.size() - kMaxLineBytes) + " more bytes)";
    return line;
}

Logger::Logger(const sylk_host_callbacks *callbacks) {
    if (callbacks) callbacks_ = *callbacks;
}

void Logger::write(sylk_log_level level, const std::string &message) const {
    if (callbacks_.log) callbacks_.log(callbacks_.context, level, printable_line(message).c_str());
}

}  // namespace sylk::log
