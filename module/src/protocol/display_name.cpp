#include "protocol/display_name.hpp"

#include "text/utf8.hpp"

namespace sylk::protocol {

std::optional<std::string> display_name_problem(std::string_view name) {
    if (!text::is_valid_utf8(name)) return std::string("display_name must be UTF-8 text");
    if (text::utf8_length(name) > kMaxDisplayNameLength)
        return "display_name must be at most " + std::to_string(kMaxDisplayNameLength) + " characters";
    for (std::size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        // C0 controls and DEL (CR and LF end a SIP header line), and C1 controls (U+0080-U+009F).
        bool c1 = c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) <= 0x9F;
        if (c < 0x20 || c == 0x7F || c1) return std::string("display_name must not hold control characters");
    }
    return std::nullopt;
}

}  // namespace sylk::protocol
