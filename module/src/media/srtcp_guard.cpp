#include "media/srtcp_guard.hpp"

#include <openssl/crypto.h>

namespace sylk::media {

namespace {

constexpr std::size_t kHeader = 8;  // V/P/count, type, length, sender SSRC
constexpr std::size_t kIndexWord = 4;
constexpr std::uint32_t kEncrypted = 0x80000000u;

std::uint32_t read32(const std::uint8_t *p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

bool is_aead(enum srtp_suite suite) { return suite == SRTP_AES_128_GCM || suite == SRTP_AES_256_GCM; }

// RFC 3711 3.4 and RFC 7714 9: GCM puts its 16-byte tag before E|index, the HMAC suites
// put theirs (80 bits for SRTCP, whatever the SRTP tag is: RFC 3711 5.2) after it.
std::size_t tag_size(enum srtp_suite suite) { return is_aead(suite) ? 16 : 10; }

}  // namespace

SrtcpGuard::SrtcpGuard(enum srtp_suite suite)
    : suite_(suite), aead_(is_aead(suite)), trailer_(tag_size(suite) + kIndexWord),
      index_from_end_(aead_ ? kIndexWord : kIndexWord + tag_size(suite)) {}

SrtcpGuard::~SrtcpGuard() { OPENSSL_cleanse(master_.data(), master_.size()); }

int SrtcpGuard::set_key(const std::uint8_t *master, std::size_t size) {
    master_.assign(master, master + size);
    return make_context();
}

int SrtcpGuard::make_context() {
    struct srtp *context = nullptr;
    int err = srtp_alloc(&context, suite_, master_.data(), master_.size(), 0);
    libre_.reset(context);
    return err;
}

SrtcpGuard::Stream *SrtcpGuard::find(std::uint32_t ssrc) {
    for (auto &stream : streams_)
        if (stream.ssrc == ssrc) return &stream;
    return nullptr;
}

SrtcpGuard::Verdict SrtcpGuard::open(struct mbuf *packet) {
    std::size_t size = mbuf_get_left(packet);
    if (!libre_) return Verdict::refused;  // no key, or a context that could not be made again
    if (size < kHeader + trailer_) return Verdict::too_short;
    const std::uint8_t *start = mbuf_buf(packet);
    std::uint32_t word = read32(start + size - index_from_end_);
    if (aead_ && !(word & kEncrypted)) return Verdict::not_encrypted;
    std::uint32_t ssrc = read32(start + 4);
    std::uint64_t index = word & ~kEncrypted;

    Stream *stream = find(ssrc);
    if (stream) {
        switch (stream->window.fit(index)) {
        case ReplayWindow::Fit::used: return Verdict::replayed;
        case ReplayWindow::Fit::too_old: return Verdict::too_old;
        case ReplayWindow::Fit::ahead:
        case ReplayWindow::Fit::late: break;
        }
    } else if (streams_.size() >= kMaxStreams) {
        return Verdict::too_many_streams;
    }

    if (srtcp_decrypt(libre_.get(), packet) != 0) {
        // A stream libre made for a made-up SSRC would stay: start again without it.
        if (!stream) make_context();
        return Verdict::refused;
    }
    if (stream)
        stream->window.mark(index);
    else
        streams_.push_back({ssrc, ReplayWindow(index)});
    return Verdict::opened;
}

}  // namespace sylk::media
