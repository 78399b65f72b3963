// A client's text frame -> protocol::decode_message; when it is an add_account with a
// display_name, the name goes where registration puts it: sip::name_addr (a quoted
// string) in the From header of a REGISTER, as sip/registration.cpp builds it. The
// request is then read back with libre's sip_msg_decode, as a registrar would.
// Whatever name the decoder accepts must stay inside its header: the request decodes,
// has exactly the headers written (no header smuggled in, no CR or LF in the From),
// its From is the account's address, and the display name libre reads, unescaped, is
// the client's name. A violation ends the run (__builtin_trap).
#include "protocol/decoder.hpp"
#include "sip/sip_text.hpp"

#include <re.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>

namespace {

// Reported and saved by libFuzzer like a crash.
#define REQUIRE(condition)                                                                     \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #condition); \
            __builtin_trap();                                                                  \
        }                                                                                      \
    } while (false)

std::string text_of(const struct pl &pl) { return pl.p ? std::string(pl.p, pl.l) : std::string(); }

// The inside of a quoted-string with its quoted-pairs undone (RFC 3261 25.1).
std::string unescaped(std::string_view quoted) {
    std::string text;
    for (std::size_t i = 0; i < quoted.size(); ++i) {
        if (quoted[i] == '\\' && i + 1 < quoted.size()) ++i;
        text += quoted[i];
    }
    return text;
}

// libre leaves the quotes on a quoted display name in some versions: take them off.
std::string_view without_quotes(std::string_view name) {
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') return name.substr(1, name.size() - 2);
    return name;
}

constexpr const char *kHeaderNames[] = {"Via", "Max-Forwards", "To", "From", "Call-ID", "CSeq", "Content-Length"};
constexpr std::size_t kHeaderCount = sizeof kHeaderNames / sizeof kHeaderNames[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    auto decoded = sylk::protocol::decode_message(std::string_view(reinterpret_cast<const char *>(data), size));
    if (decoded.outcome != sylk::protocol::DecodedMessage::Outcome::request) return 0;
    const auto *add = std::get_if<sylk::protocol::AddAccount>(&decoded.request);
    if (!add || !add->display_name) return 0;
    const std::string &name = *add->display_name;
    const std::string &user = add->address.user;
    const std::string &domain = add->address.domain;

    std::string aor = "sip:" + user + "@" + domain;
    std::string from = sylk::sip::name_addr(name, aor);
    REQUIRE(from.find_first_of("\r\n") == std::string::npos);
    std::string request = "REGISTER sip:" + domain + " SIP/2.0\r\n" +
                          "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK0123456789abcdef;rport\r\n" +
                          "Max-Forwards: 70\r\n" + "To: <" + aor + ">\r\n" + "From: " + from +
                          ";tag=0123456789abcdef\r\n" + "Call-ID: 0123456789abcdef\r\n" + "CSeq: 1 REGISTER\r\n" +
                          "Content-Length: 0\r\n\r\n";

    struct mbuf *buffer = mbuf_alloc(request.size());
    REQUIRE(buffer);
    mbuf_write_mem(buffer, reinterpret_cast<const std::uint8_t *>(request.data()), request.size());
    buffer->pos = 0;
    struct sip_msg *message = nullptr;
    REQUIRE(sip_msg_decode(&message, buffer) == 0);

    // Exactly the headers written, in order, none added.
    std::size_t count = 0;
    for (struct le *element = list_head(&message->hdrl); element; element = element->next, ++count) {
        const auto *header = static_cast<const struct sip_hdr *>(element->data);
        REQUIRE(count < kHeaderCount);
        REQUIRE(pl_strcasecmp(&header->name, kHeaderNames[count]) == 0);
        REQUIRE(std::string_view(header->val.p, header->val.l).find_first_of("\r\n") == std::string_view::npos);
    }
    REQUIRE(count == kHeaderCount);

    // The From is the account's, with the client's name and our tag.
    REQUIRE(text_of(message->from.uri.user) == user);
    std::string host = domain.front() == '[' ? domain.substr(1, domain.size() - 2) : domain;  // libre drops them
    REQUIRE(pl_strcasecmp(&message->from.uri.host, host.c_str()) == 0);
    REQUIRE(text_of(message->from.tag) == "0123456789abcdef");
    REQUIRE(unescaped(without_quotes(text_of(message->from.dname))) == name);

    mem_deref(message);
    mem_deref(buffer);
    return 0;
}
