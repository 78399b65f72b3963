// Raw bytes as a datagram on the browser port -> stun_local_ufrag, which picks the
// session of a STUN message by reading USERNAME straight from the bytes. It must stay
// inside the datagram, and whenever libre's full STUN decoder takes the message and
// finds a USERNAME, the two must agree on its part before the colon, or the message must
// go to no session at all (never to another one than libre's USERNAME names).
#include "check.hpp"

#include "media/browser_port.hpp"

#include <re.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    // Exactly `size` bytes of our own, so that a read past them is an AddressSanitizer report.
    auto *bytes = static_cast<std::uint8_t *>(std::malloc(size ? size : 1));
    if (!bytes) std::abort();
    if (size) std::memcpy(bytes, data, size);

    std::string_view ufrag = sylk::media::stun_local_ufrag(bytes, size);
    if (!ufrag.empty()) {
        auto *begin = reinterpret_cast<const std::uint8_t *>(ufrag.data());
        FUZZ_CHECK(begin >= bytes && begin + ufrag.size() <= bytes + size);
        FUZZ_CHECK(ufrag.find(':') == std::string_view::npos);
    }

    struct mbuf *message = mbuf_alloc(size ? size : 1);
    if (!message) std::abort();
    if (size) mbuf_write_mem(message, bytes, size);
    message->pos = 0;
    struct stun_msg *decoded = nullptr;
    if (stun_msg_decode(&decoded, message, nullptr) == 0) {
        const struct stun_attr *username = stun_msg_attr(decoded, STUN_ATTR_USERNAME);
        // libre keeps USERNAME as a C string: compare only names without a NUL byte.
        if (username && username->v.username && ufrag.find('\0') == std::string_view::npos) {
            std::string_view full(username->v.username);
            auto colon = full.find(':');
            std::string_view expected = colon == std::string_view::npos ? std::string_view{} : full.substr(0, colon);
            // Empty: the message goes to no session (an attribute before USERNAME whose length
            // libre would not step over as written: see stun_local_ufrag).
            if (full.size() == std::strlen(username->v.username)) FUZZ_CHECK(ufrag.empty() || ufrag == expected);
        }
        mem_deref(decoded);
    }
    mem_deref(message);
    std::free(bytes);
    return 0;
}
