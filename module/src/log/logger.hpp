// Forwards the module's log lines to the host's log callback (the host owns logging).
#pragma once

#include "sylk/application_plugin.h"

#include <string>

namespace sylk::log {

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
