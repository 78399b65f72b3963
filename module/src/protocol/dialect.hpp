// The two dialects of the protocol, chosen per connection by the WebSocket subprotocol:
// sylkRTC-1 (the 2015 client) and sylkRTC-2 (today's Sylk apps, sylkrtc.js 1.x). The
// gateway speaks typed requests and events; each dialect reads and writes them its way.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sylk::protocol {

enum class Dialect { sylkrtc1, sylkrtc2 };

inline constexpr std::string_view kSylkRtc1 = "sylkRTC-1";
inline constexpr std::string_view kSylkRtc2 = "sylkRTC-2";

inline std::string_view subprotocol_of(Dialect dialect) { return dialect == Dialect::sylkrtc2 ? kSylkRtc2 : kSylkRtc1; }

// The dialect for the subprotocols a handshake offers: sylkRTC-2 when it is among
// them (the newer one wins), else sylkRTC-1; nothing when neither is.
inline std::optional<Dialect> choose_dialect(const std::vector<std::string> &offered) {
    std::optional<Dialect> chosen;
    for (const auto &name : offered) {
        if (name == kSylkRtc2) return Dialect::sylkrtc2;
        if (name == kSylkRtc1) chosen = Dialect::sylkrtc1;
    }
    return chosen;
}

}  // namespace sylk::protocol
