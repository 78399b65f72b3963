#include "protocol/display_name.hpp"

#include "text/utf8.hpp"

namespace sylk::protocol {

std::optional<std::string> text_line_problem(std::string_view field, std::string_view text, std::size_t max_characters) {
    std::string name(field);
    if (!text::is_valid_utf8(text)) return name + " must be UTF-8 text";
    if (text::utf8_length(text) > max_characters)
        return name + " must be at most " + std::to_string(max_characters) + " characters";
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        // C0 controls and DEL (CR and LF end a SIP header line), and C1 controls (U+0080-U+009F).
        bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F;
        if (c < 0x20 || c == 0x7F || c1) return name + " must not hold control characters";
    }
    return std::nullopt;
}

std::optional<std::string> display_name_problem(std::string_view name) {
    return text_line_problem("display_name", name, kMaxDisplayNameLength);
}

}  // namespace sylk::protocol
