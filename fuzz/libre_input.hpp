// Outside bytes as libre takes them, for the fuzz targets: an mbuf that owns a copy, and
// a SIP message decoded from one. Each holds exactly the input's bytes (plus any spare
// room asked for), so that a read past them is an AddressSanitizer report.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <vector>

#include <re.h>  // after <cstdint>: libre's headers use its types without including it

namespace sylk::fuzz {

class OwnedMbuf {
public:
    OwnedMbuf(const std::uint8_t *data, std::size_t size, std::size_t spare = 0) : buffer_(mbuf_alloc(size + spare)) {
        if (!buffer_) std::abort();
        mbuf_write_mem(buffer_, data, size);
        buffer_->pos = 0;
    }
    explicit OwnedMbuf(const std::vector<std::uint8_t> &bytes, std::size_t spare = 0)
        : OwnedMbuf(bytes.data(), bytes.size(), spare) {}
    ~OwnedMbuf() { mem_deref(buffer_); }
    OwnedMbuf(const OwnedMbuf &) = delete;
    OwnedMbuf &operator=(const OwnedMbuf &) = delete;

    struct mbuf *get() const { return buffer_; }
    std::vector<std::uint8_t> bytes() const { return {buffer_->buf + buffer_->pos, buffer_->buf + buffer_->end}; }

private:
    struct mbuf *buffer_;
};

// libre's sip_msg_decode of the bytes; message() is null when they are not SIP.
class DecodedSip {
public:
    DecodedSip(const std::uint8_t *data, std::size_t size) : buffer_(data, size) {
        if (sip_msg_decode(&message_, buffer_.get()) != 0) message_ = nullptr;
    }
    ~DecodedSip() { mem_deref(message_); }
    DecodedSip(const DecodedSip &) = delete;
    DecodedSip &operator=(const DecodedSip &) = delete;

    const struct sip_msg *message() const { return message_; }

private:
    OwnedMbuf buffer_;
    struct sip_msg *message_ = nullptr;
};

}  // namespace sylk::fuzz
