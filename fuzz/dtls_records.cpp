// DTLS records up to the handshake, as the browser port receives them: datagrams from
// one browser address into libre's DTLS socket (dtls_recv_packet, as BrowserPort does
// for a first byte 20-63), the connection accepted by dtls_accept with the module's own
// server context (DtlsCertificate::make_dtls_context: EC certificate, the peer's
// certificate asked for, the SRTP profiles), one connection per input, kept after it
// fails as BrowserTransport keeps it. What the server sends is caught below libre's DTLS
// helper on the socket (a helper at a lower layer), so nothing leaves the process.
//
// Input: datagrams, each a 2-byte big-endian length and that many bytes (the last one
// cut short if the input ends); a datagram the port would not hand to DTLS (shorter
// than 2 bytes, first byte outside 20-63, longer than its buffer) is dropped as the port
// drops it.
//
// Properties:
// - no handshake completes: the fuzzer cannot make a client Finished (it needs this
//   run's server random and ECDHE key), so neither can anyone who has not done the
//   handshake; in particular none completes without the client proving its key;
// - everything the server sends is whole DTLS records, plaintext (epoch 0) handshake or
//   alert, never application data or a ChangeCipherSpec;
// - the server's ServerHello selects one of the module's two SRTP profiles, or none;
//   its Certificate is the module's certificate (whose fingerprint the SDP carries);
//   every flight ending in ServerHelloDone asks for the client's certificate first;
// - nothing is sent and nothing is established after libre closed the connection.
//
// OpenSSL and libre are not instrumented: the handshake messages and alerts the server
// reads and writes (OpenSSL's message callback, on the module's context) and their
// order are given to libFuzzer as extra counters, so that it keeps inputs reaching new
// handshake states.
#include "check.hpp"
#include "tls_openssl_context.hpp"

#include "media/dtls_certificate.hpp"
#include "media/re_ptr.hpp"

#include <re.h>
// re_dbg.h expects these from the file including it.
#define DEBUG_MODULE "fuzz"
#define DEBUG_LEVEL 0
#include <re_dbg.h>

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

using sylk::media::DtlsCertificate;
using sylk::media::RePtr;

// libFuzzer counts every non-zero byte of this section as coverage (Linux).
__attribute__((used, section("__libfuzzer_extra_counters"))) static std::uint8_t extra_counters[1 << 14];

namespace {

constexpr std::size_t kDatagramSize = 2048;  // BrowserPort::kDatagramSize
constexpr std::size_t kMostDatagrams = 64;
constexpr int kDtlsLayer = 1;     // as BrowserPort
constexpr int kCaptureLayer = 0;  // below it: sees what the DTLS helper sends
constexpr std::uint16_t kGcm = 0x0007, kAesCm = 0x0001;  // RFC 7714, RFC 5764

std::uint32_t be(const std::uint8_t *p, std::size_t n) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < n; ++i) value = value << 8 | p[i];
    return value;
}

struct Run {
    struct tls_conn *connection = nullptr;
    bool offered = false;
    bool established = false;
    bool closed = false;
    bool request_since_hello = false;
    std::uint32_t previous_event = 0;
    std::vector<std::vector<std::uint8_t>> sent;  // datagrams, in order
};

struct Gateway {
    DtlsCertificate certificate = DtlsCertificate::generate();
    struct tls *context = nullptr;
    RePtr<struct udp_sock> socket;
    RePtr<struct dtls_sock> dtls;
    RePtr<struct udp_helper> capture;
    struct sa browser {};
    Run *run = nullptr;
};

Gateway *gateway = nullptr;

void count(std::uint32_t feature) {
    std::uint32_t hash = feature * 2654435761u;
    std::uint8_t &counter = extra_counters[(hash >> 8) % sizeof extra_counters];
    if (counter < 255) ++counter;
}

// Every handshake message and alert the server reads or writes, alone and after the
// one before (its state), as a feature.
void on_message(int write_p, int, int content_type, const void *buf, size_t len, SSL *ssl, void *) {
    Run *run = gateway->run;
    if (!run || len == 0 || (content_type != SSL3_RT_HANDSHAKE && content_type != SSL3_RT_ALERT &&
                             content_type != SSL3_RT_CHANGE_CIPHER_SPEC))
        return;
    const auto *bytes = static_cast<const std::uint8_t *>(buf);
    std::uint32_t detail = content_type == SSL3_RT_ALERT && len >= 2 ? bytes[1] : bytes[0];
    std::uint32_t event = static_cast<std::uint32_t>(write_p) << 16 | static_cast<std::uint32_t>(content_type) << 8 | detail;
    count(event);
    count(event ^ run->previous_event << 12 ^ static_cast<std::uint32_t>(SSL_get_state(ssl)) << 24);
    run->previous_event = event;
}

bool on_send(int *, struct sa *, struct mbuf *packet, void *) {
    if (gateway->run)
        gateway->run->sent.emplace_back(packet->buf + packet->pos, packet->buf + packet->end);
    return true;  // handled: nothing leaves the process
}

void on_established(void *arg) { static_cast<Run *>(arg)->established = true; }
void on_data(struct mbuf *, void *) {}
void on_closed(int, void *arg) { static_cast<Run *>(arg)->closed = true; }

// BrowserPort::on_dtls_connect and BrowserTransport::port_dtls_offered for an address
// that passed its ICE check: one connection, accepted once.
void on_connect(const struct sa *, void *) {
    Run *run = gateway->run;
    if (!run || run->offered) return;
    run->offered = true;
    struct tls_conn *connection = nullptr;
    int err = dtls_accept(&connection, gateway->context, gateway->dtls.get(), on_established, on_data, on_closed, run);
    if (!err) run->connection = connection;
}

// One handshake message the server sent, whole in its fragment.
void check_sent_message(Run &run, std::uint8_t type, const std::uint8_t *body, std::size_t size) {
    switch (type) {
    case 2: {  // ServerHello: version, random, session id, suite, compression, extensions
        run.request_since_hello = false;
        std::size_t at = 2 + 32;
        FUZZ_CHECK(at < size);
        at += 1 + body[at];
        at += 2 + 1;
        if (at + 2 > size) return;  // no extensions
        std::size_t end = at + 2 + be(body + at, 2);
        FUZZ_CHECK(end <= size);
        for (at += 2; at + 4 <= end;) {
            std::uint32_t extension = be(body + at, 2);
            std::size_t length = be(body + at + 2, 2);
            FUZZ_CHECK(at + 4 + length <= end);
            if (extension == 14) {  // use_srtp: exactly one profile, one of ours
                FUZZ_CHECK(length >= 5 && be(body + at + 4, 2) == 2);
                std::uint32_t profile = be(body + at + 6, 2);
                FUZZ_CHECK(profile == kGcm || profile == kAesCm);
            }
            at += 4 + length;
        }
        break;
    }
    case 11: {  // Certificate: ours first
        const auto &ours = gateway->certificate.certificate_der();
        FUZZ_CHECK(size >= 6 && be(body + 3, 3) == ours.size() && 6 + ours.size() <= size);
        FUZZ_CHECK(std::memcmp(body + 6, ours.data(), ours.size()) == 0);
        break;
    }
    case 13: run.request_since_hello = true; break;  // CertificateRequest
    case 14: FUZZ_CHECK(run.request_since_hello); break;  // ServerHelloDone
    default: break;
    }
}

void check_sent(Run &run, const std::vector<std::uint8_t> &datagram) {
    std::size_t at = 0;
    while (at < datagram.size()) {
        FUZZ_CHECK(at + 13 <= datagram.size());
        const std::uint8_t *record = datagram.data() + at;
        std::uint8_t type = record[0];
        std::uint32_t version = be(record + 1, 2);
        std::uint32_t epoch = be(record + 3, 2);
        std::size_t length = be(record + 11, 2);
        FUZZ_CHECK(version == 0xfefd || version == 0xfeff);
        FUZZ_CHECK(epoch == 0);
        FUZZ_CHECK(type == SSL3_RT_HANDSHAKE || type == SSL3_RT_ALERT);
        FUZZ_CHECK(at + 13 + length <= datagram.size());
        const std::uint8_t *fragment = record + 13;
        if (type == SSL3_RT_ALERT) {
            FUZZ_CHECK(length == 2 && (fragment[0] == 1 || fragment[0] == 2));
        } else {
            for (std::size_t in = 0; in < length;) {
                FUZZ_CHECK(in + 12 <= length);
                const std::uint8_t *message = fragment + in;
                std::size_t whole = be(message + 1, 3), offset = be(message + 6, 3), piece = be(message + 9, 3);
                FUZZ_CHECK(offset + piece <= whole && in + 12 + piece <= length);
                if (offset == 0 && piece == whole) check_sent_message(run, message[0], message + 12, piece);
                in += 12 + piece;
            }
        }
        at += 13 + length;
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    if (libre_init() != 0) std::abort();
    // libre warns of every refused handshake (with OpenSSL's reason): silent unless
    // SYLK_FUZZ_VERBOSE is set, to see how far an input gets.
    if (!std::getenv("SYLK_FUZZ_VERBOSE")) dbg_init(DBG_EMERG, DBG_NONE);
    gateway = new Gateway;
    if (gateway->certificate.make_dtls_context(&gateway->context) != 0) std::abort();
    // Only observed: the module's context otherwise as the gateway makes it.
    SSL_CTX_set_msg_callback(tls_openssl_context(gateway->context), on_message);
    struct sa local;
    if (sa_set_str(&local, "127.0.0.1", 0) != 0) std::abort();
    struct udp_sock *socket = nullptr;
    if (udp_listen(&socket, &local, nullptr, nullptr) != 0) std::abort();
    gateway->socket.reset(socket);
    struct dtls_sock *dtls = nullptr;
    if (dtls_listen(&dtls, nullptr, socket, 4, kDtlsLayer, on_connect, nullptr) != 0) std::abort();
    gateway->dtls.reset(dtls);
    struct udp_helper *capture = nullptr;
    if (udp_register_helper(&capture, socket, kCaptureLayer, on_send, nullptr, nullptr) != 0) std::abort();
    gateway->capture.reset(capture);
    if (sa_set_str(&gateway->browser, "192.0.2.7", 50000) != 0) std::abort();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    Run run;
    gateway->run = &run;
    std::size_t at = 0;
    for (std::size_t datagrams = 0; at + 2 <= size && datagrams < kMostDatagrams; ++datagrams) {
        std::size_t length = be(data + at, 2);
        at += 2;
        if (length > size - at) length = size - at;
        const std::uint8_t *bytes = data + at;
        at += length;
        // BrowserPort::dispatch: what it hands to libre's DTLS socket.
        if (length < 2 || length > kDatagramSize || bytes[0] < 20 || bytes[0] > 63) continue;
        RePtr<struct mbuf> datagram(mbuf_alloc(length));
        if (!datagram) std::abort();
        mbuf_write_mem(datagram.get(), bytes, length);
        datagram->pos = 0;

        bool closed_before = run.closed;
        std::size_t sent_before = run.sent.size();
        dtls_recv_packet(gateway->dtls.get(), &gateway->browser, datagram.get());
        FUZZ_CHECK(!run.established);
        if (closed_before) FUZZ_CHECK(run.sent.size() == sent_before && run.closed);
    }
    // The session ends (libre sends its alert, if any, as it goes).
    mem_deref(run.connection);
    FUZZ_CHECK(!run.established);
    gateway->run = nullptr;
    for (const auto &datagram : run.sent) check_sent(run, datagram);
    return 0;
}
