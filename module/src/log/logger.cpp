#include "log/logger.hpp"

namespace sylk::log {

Logger::Logger(const sylk_host_callbacks *callbacks) {
    if (callbacks) callbacks_ = *callbacks;
}

void Logger::write(sylk_log_level level, const std::string &message) const {
    if (callbacks_.log) callbacks_.log(callbacks_.context, level, message.c_str());
}

}  // namespace sylk::log
