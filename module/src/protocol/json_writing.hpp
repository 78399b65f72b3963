// Small helpers both dialects' writers share.
#pragma once

#include <boost/json.hpp>

#include <string_view>

namespace sylk::protocol {

inline boost::json::string_view json_view(std::string_view text) {
    return boost::json::string_view(text.data(), text.size());
}

// Sets `name` only when `text` is not empty: absent fields, never empty strings.
inline void put_if_set(boost::json::object &object, std::string_view name, std::string_view text) {
    if (!text.empty()) object[json_view(name)] = json_view(text);
}

}  // namespace sylk::protocol
