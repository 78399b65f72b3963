// Raw bytes as a datagram on the browser port -> IceLiteResponder::handle, with the
// credentials of ice_credentials.hpp, once without the browser's ufrag (a check before
// its SDP) and once with it. Every outcome is checked again with libre's STUN decoder:
// an answer only for a Binding request whose FINGERPRINT and MESSAGE-INTEGRITY verify
// and whose USERNAME is ours; refusals carry the code RFC 8445 7.3 gives; only an
// answer changes what the responder remembers. A fuzzer cannot forge an HMAC, so each
// input is also run "re-signed": its attributes up to MESSAGE-INTEGRITY kept, a valid
// MESSAGE-INTEGRITY (our password) and FINGERPRINT written after them.
#include "check.hpp"
#include "ice_credentials.hpp"

#include "media/ice_lite_responder.hpp"

#include <re.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using sylk::media::IceLiteResponder;
using sylk::media::RePtr;
using Outcome = IceLiteResponder::Outcome;
using namespace sylk::fuzz;

namespace {

constexpr std::size_t kHeader = 20;
constexpr std::uint16_t kIntegrity = 0x0008;
constexpr std::uint16_t kFingerprint = 0x8028;
constexpr std::uint32_t kFingerprintXor = 0x5354554e;  // RFC 5389 15.5

const std::uint8_t *key() { return reinterpret_cast<const std::uint8_t *>(kLocalPwd); }
std::size_t key_size() { return std::strlen(kLocalPwd); }

std::uint16_t read_u16(const std::uint8_t *p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
void write_u16(std::uint8_t *p, std::size_t value) {
    p[0] = static_cast<std::uint8_t>(value >> 8);
    p[1] = static_cast<std::uint8_t>(value);
}

RePtr<struct mbuf> exact_mbuf(const std::uint8_t *data, std::size_t size) {
    // Exactly `size` bytes, so that a read past them is an AddressSanitizer report.
    RePtr<struct mbuf> buffer(mbuf_alloc(size ? size : 1));
    if (!buffer) std::abort();
    if (size) mbuf_write_mem(buffer.get(), data, size);
    buffer->pos = 0;
    return buffer;
}

// CRC-32 (ISO-HDLC, as FINGERPRINT uses), bit by bit: libre's crc32 is zlib's, which
// the targets do not link.
std::uint32_t crc32_of(const std::uint8_t *data, std::size_t size) {
    std::uint32_t crc = 0xffffffffu;
    for (std::size_t i = 0; i < size; ++i) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

// The message with a valid MESSAGE-INTEGRITY and FINGERPRINT in place of whatever
// followed its attributes before the first MESSAGE-INTEGRITY (or FINGERPRINT); empty
// when the header or attribute lengths do not hold together.
std::vector<std::uint8_t> resigned(const std::uint8_t *data, std::size_t size) {
    if (size < kHeader) return {};
    std::size_t end = kHeader + read_u16(data + 2);
    if (end > size) return {};
    std::size_t at = kHeader;
    while (at + 4 <= end) {
        std::uint16_t type = read_u16(data + at);
        if (type == kIntegrity || type == kFingerprint) break;
        std::size_t next = at + 4 + ((read_u16(data + at + 2) + 3u) & ~3u);
        if (next > end) return {};
        at = next;
    }
    std::vector<std::uint8_t> message(data, data + at);
    // MESSAGE-INTEGRITY: HMAC-SHA1 over the message, its length counting up to the attribute's end.
    message.insert(message.end(), {0x00, 0x08, 0x00, 0x14});
    write_u16(&message[2], message.size() + 20 - kHeader);
    std::uint8_t hmac[20];
    hmac_sha1(key(), key_size(), message.data(), message.size() - 4, hmac, sizeof hmac);
    message.insert(message.end(), hmac, hmac + sizeof hmac);
    // FINGERPRINT: CRC-32 of everything before it, the length now counting it too.
    message.insert(message.end(), {0x80, 0x28, 0x00, 0x04});
    write_u16(&message[2], message.size() + 4 - kHeader);
    std::uint32_t crc = crc32_of(message.data(), message.size() - 4) ^ kFingerprintXor;
    for (int shift = 24; shift >= 0; shift -= 8) message.push_back(static_cast<std::uint8_t>(crc >> shift));
    return message;
}

// What libre reads of the request, for judging the responder's outcome.
struct Reading {
    bool binding_request = false;  // decodes, magic cookie, FINGERPRINT verifies, Binding, class request
    bool has_username = false;
    bool has_integrity = false;
    bool username_ours = false;          // "ourufrag:..." (and the browser's after the colon, when known)
    bool integrity_verifies = false;     // with our password
    bool controlled = false;
    bool use_candidate = false;
    std::uint8_t tid[STUN_TID_SIZE] = {};
};

Reading read_request(const std::uint8_t *data, std::size_t size, bool remote_known) {
    Reading reading;
    RePtr<struct mbuf> buffer = exact_mbuf(data, size);
    struct stun_msg *decoded = nullptr;
    if (stun_msg_decode(&decoded, buffer.get(), nullptr) != 0) return reading;
    RePtr<struct stun_msg> message(decoded);
    reading.binding_request = stun_msg_mcookie(decoded) && stun_msg_attr(decoded, STUN_ATTR_FINGERPRINT) &&
                              stun_msg_chk_fingerprint(decoded) == 0 && stun_msg_method(decoded) == STUN_METHOD_BINDING &&
                              stun_msg_class(decoded) == STUN_CLASS_REQUEST;
    std::memcpy(reading.tid, stun_msg_tid(decoded), STUN_TID_SIZE);
    const struct stun_attr *username = stun_msg_attr(decoded, STUN_ATTR_USERNAME);
    reading.has_username = username != nullptr;
    reading.has_integrity = stun_msg_attr(decoded, STUN_ATTR_MSG_INTEGRITY) != nullptr;
    if (username && username->v.username) {
        std::string_view name(username->v.username);
        std::string expected_prefix = std::string(kLocalUfrag) + ":";
        reading.username_ours = name.substr(0, expected_prefix.size()) == expected_prefix &&
                                (!remote_known || name.substr(expected_prefix.size()) == kRemoteUfrag);
    }
    reading.integrity_verifies = reading.has_integrity && stun_msg_chk_mi(decoded, key(), key_size()) == 0;
    reading.controlled = stun_msg_attr(decoded, STUN_ATTR_CONTROLLED) != nullptr;
    reading.use_candidate = stun_msg_attr(decoded, STUN_ATTR_USE_CAND) != nullptr;
    return reading;
}

// The reply decodes as a Binding answer of `cls` to the same transaction, with a valid
// FINGERPRINT; returns it for further checks.
RePtr<struct stun_msg> read_reply(struct mbuf *reply, std::uint16_t cls, const Reading &request) {
    struct stun_msg *decoded = nullptr;
    FUZZ_CHECK(stun_msg_decode(&decoded, reply, nullptr) == 0);
    RePtr<struct stun_msg> message(decoded);
    FUZZ_CHECK(stun_msg_method(decoded) == STUN_METHOD_BINDING);
    FUZZ_CHECK(stun_msg_class(decoded) == cls);
    FUZZ_CHECK(std::memcmp(stun_msg_tid(decoded), request.tid, STUN_TID_SIZE) == 0);
    FUZZ_CHECK(stun_msg_attr(decoded, STUN_ATTR_FINGERPRINT) && stun_msg_chk_fingerprint(decoded) == 0);
    return message;
}

void check_one(const std::uint8_t *data, std::size_t size, bool remote_known, const struct sa &source) {
    IceLiteResponder responder(kLocalUfrag, kLocalPwd);
    if (remote_known) responder.set_remote_ufrag(kRemoteUfrag);
    RePtr<struct mbuf> packet = exact_mbuf(data, size);
    RePtr<struct mbuf> reply;
    Outcome outcome = responder.handle(source, packet.get(), 1000, reply);
    Reading request = read_request(data, size, remote_known);

    if (outcome == Outcome::answered) {
        // The one outcome that lets media flow: everything must verify.
        FUZZ_CHECK(request.binding_request && request.has_username && request.username_ours);
        FUZZ_CHECK(request.integrity_verifies);
        FUZZ_CHECK(!request.controlled);
        FUZZ_CHECK(reply);
        auto answer = read_reply(reply.get(), STUN_CLASS_SUCCESS_RESP, request);
        FUZZ_CHECK(stun_msg_chk_mi(answer.get(), key(), key_size()) == 0);
        const struct stun_attr *mapped = stun_msg_attr(answer.get(), STUN_ATTR_XOR_MAPPED_ADDR);
        FUZZ_CHECK(mapped && sa_cmp(&mapped->v.xor_mapped_addr, &source, SA_ALL));
        FUZZ_CHECK(responder.last_check_ms() == std::optional<std::uint64_t>(1000));
        FUZZ_CHECK(responder.is_checked(source));
        FUZZ_CHECK(responder.nominated() == request.use_candidate);
        return;
    }

    // Nothing else changes what the responder remembers.
    FUZZ_CHECK(!responder.last_check_ms() && !responder.browser_address() && !responder.nominated());
    FUZZ_CHECK(responder.checked_addresses().empty());
    if (outcome == Outcome::dropped) {
        FUZZ_CHECK(!reply);
        FUZZ_CHECK(!request.binding_request);
        return;
    }
    FUZZ_CHECK(request.binding_request);
    FUZZ_CHECK(reply);
    auto refusal = read_reply(reply.get(), STUN_CLASS_ERROR_RESP, request);
    const struct stun_attr *code = stun_msg_attr(refusal.get(), STUN_ATTR_ERR_CODE);
    FUZZ_CHECK(code);
    bool signed_reply = stun_msg_attr(refusal.get(), STUN_ATTR_MSG_INTEGRITY) != nullptr;
    switch (code->v.err_code.code) {
    case 400:
        FUZZ_CHECK(!request.has_username || !request.has_integrity);
        FUZZ_CHECK(!signed_reply);
        break;
    case 401:
        FUZZ_CHECK(!request.username_ours || !request.integrity_verifies);
        FUZZ_CHECK(!signed_reply);  // a 401 cannot be keyed with credentials that failed
        break;
    case 487:
        // A role conflict is told only to an authenticated peer, with integrity.
        FUZZ_CHECK(request.username_ours && request.integrity_verifies && request.controlled);
        FUZZ_CHECK(signed_reply && stun_msg_chk_mi(refusal.get(), key(), key_size()) == 0);
        break;
    default: FUZZ_CHECK(!"an error code RFC 8445 7.3 does not give");
    }
}

void check_both(const std::uint8_t *data, std::size_t size) {
    struct sa v4, v6;
    sa_set_str(&v4, "192.0.2.7", 40404);
    sa_set_str(&v6, "2001:db8::7", 50505);
    check_one(data, size, false, v4);
    check_one(data, size, true, v6);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    check_both(data, size);
    std::vector<std::uint8_t> signed_copy = resigned(data, size);
    if (!signed_copy.empty()) check_both(signed_copy.data(), signed_copy.size());
    return 0;
}
