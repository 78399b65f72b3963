// Forwards the module's log lines to the host's log callback (the host owns logging).
// Every line is made safe on the way: much of what is logged came from a client or a
// SIP peer, and a newline in it would forge a line of its own.
#pragma once

#include "sylk/application_plugin.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace sylk::log {

// Longest line handed to the host; the rest is cut and its size said.
constexpr std::size_t kMaxLineBytes = 16 * 1024;

// `message` as one line of valid UTF-8: control characters written as \xNN, ill-formed UTF-8 replaced by U+FFFD, cut at kMaxLineBytes.
std::string printable_line(std::string_view message);

class Logger {
public:
    explicit Logger(const sylk_host_callbacks *callbacks);

    void debug(const std::string &message) const { write(SYLK_LOG_DEBUG, message); }
    void info(const std::string &message) const { write(SYLK_LOG_INFO, message); }
    void warning(const std::string &message) const { write(SYLK_LOG_WARNING, message); }
    void error(const std::string &message) const { write(SYLK_LOG_ERROR, message); }

    void write(sylk_log_level level, const std::string &message) const;

private:
    sylk_host_callbacks callbacks_{};
};

}  // namespace sylk::log
