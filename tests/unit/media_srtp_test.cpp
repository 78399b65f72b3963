// Our SRTP against the implementations browsers already talk to: Aes128Gcm against
// OpenSSL's AES-128-GCM (ciphertext and tag, byte for byte), SrtpGcm and SrtpAesCm against
// libre's srtp in both directions (key derivation, nonce, rollover across sequence
// number 65535), and what a receiver must refuse: forged tags and headers, replays,
// packets older than the window, what is not RTP, one stream too many.
#include "media/aes128_gcm.hpp"
#include "media/re_ptr.hpp"
#include "media/srtp_aes_cm.hpp"
#include "media/srtp_gcm.hpp"
#include "media/srtp_streams.hpp"

#include <boost/test/unit_test.hpp>

#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <openssl/evp.h>
#include <re.h>

using sylk::media::Aes128Gcm;
using sylk::media::RePtr;
using sylk::media::SrtpAesCm;
using sylk::media::SrtpGcm;
using sylk::media::SrtpStreams;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes random_bytes(std::mt19937 &random, std::size_t size) {
    Bytes out(size);
    for (auto &b : out) b = static_cast<std::uint8_t>(random());
    return out;
}

// OpenSSL's AES-128-GCM: ciphertext followed by the 16-byte tag.
Bytes openssl_seal(const Bytes &key, const Bytes &iv, const Bytes &aad, const Bytes &plain) {
    EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
    BOOST_REQUIRE(context);
    Bytes out(plain.size() + 16);
    int length = 0;
    BOOST_REQUIRE(EVP_EncryptInit_ex(context, EVP_aes_128_gcm(), nullptr, key.data(), iv.data()) == 1);
    if (!aad.empty())
        BOOST_REQUIRE(EVP_EncryptUpdate(context, nullptr, &length, aad.data(), static_cast<int>(aad.size())) == 1);
    if (!plain.empty())
        BOOST_REQUIRE(EVP_EncryptUpdate(context, out.data(), &length, plain.data(), static_cast<int>(plain.size())) ==
                      1);
    BOOST_REQUIRE(EVP_EncryptFinal_ex(context, out.data() + plain.size(), &length) == 1);
    BOOST_REQUIRE(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size()) == 1);
    EVP_CIPHER_CTX_free(context);
    return out;
}

struct RtpShape {
    std::uint32_t ssrc = 0x11223344;
    std::uint16_t sequence = 1;
    std::size_t payload = 160;
    std::size_t csrcs = 0;
    std::size_t extension_words = 0;  // 0: no extension header
};

RePtr<struct mbuf> rtp_packet(const RtpShape &shape, std::uint8_t fill) {
    RePtr<struct mbuf> packet(mbuf_alloc(64));
    BOOST_REQUIRE(packet);
    bool extension = shape.extension_words > 0;
    mbuf_write_u8(packet.get(), static_cast<std::uint8_t>(0x80 | (extension ? 0x10 : 0) | shape.csrcs));
    mbuf_write_u8(packet.get(), 111);
    mbuf_write_u16(packet.get(), htons(shape.sequence));
    mbuf_write_u32(packet.get(), htonl(0xabcdef01u + shape.sequence * 960u));
    mbuf_write_u32(packet.get(), htonl(shape.ssrc));
    for (std::size_t i = 0; i < shape.csrcs; ++i) mbuf_write_u32(packet.get(), htonl(0x1000u + i));
    if (extension) {
        mbuf_write_u16(packet.get(), htons(0xbede));
        mbuf_write_u16(packet.get(), htons(static_cast<std::uint16_t>(shape.extension_words)));
        for (std::size_t i = 0; i < shape.extension_words; ++i) mbuf_write_u32(packet.get(), htonl(0x10ff0000u + i));
    }
    for (std::size_t i = 0; i < shape.payload; ++i) mbuf_write_u8(packet.get(), static_cast<std::uint8_t>(fill + i));
    packet->pos = 0;
    return packet;
}

Bytes contents(const struct mbuf *packet) { return Bytes(packet->buf + packet->pos, packet->buf + packet->end); }

// The libre suite each of our SRTP classes speaks.
template <class Cipher> constexpr enum srtp_suite kLibreSuite = SRTP_AES_128_GCM;
template <> constexpr enum srtp_suite kLibreSuite<SrtpAesCm> = SRTP_AES_CM_128_HMAC_SHA1_80;
using Ciphers = std::tuple<SrtpGcm, SrtpAesCm>;

// One master key and salt, and libre's context for each direction made from it.
template <class Cipher> struct Keys {
    Bytes master;
    RePtr<struct srtp> libre_sender, libre_receiver;

    explicit Keys(std::uint32_t seed) {
        std::mt19937 random(seed);
        master = random_bytes(random, Cipher::kMasterSize);
        struct srtp *sender = nullptr, *receiver = nullptr;
        BOOST_REQUIRE(srtp_alloc(&sender, kLibreSuite<Cipher>, master.data(), master.size(), 0) == 0);
        BOOST_REQUIRE(srtp_alloc(&receiver, kLibreSuite<Cipher>, master.data(), master.size(), 0) == 0);
        libre_sender.reset(sender);
        libre_receiver.reset(receiver);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(srtp_fast_path)

BOOST_AUTO_TEST_CASE(this_machine_runs_the_fast_path) {
    // The gateway's CI machines are x86-64 with AES-NI; without it every other case here
    // would test nothing, so say so rather than pass.
    BOOST_REQUIRE_MESSAGE(Aes128Gcm::available(), "no AES-NI/PCLMULQDQ: the fast path is not used here");
}

BOOST_AUTO_TEST_CASE(aes_gcm_matches_openssl_byte_for_byte) {
    BOOST_REQUIRE(Aes128Gcm::available());
    std::mt19937 random(7);
    // Around one to three four-block GHASH steps too.
    const std::size_t sizes[] = {0, 1, 15, 16, 17, 48, 63, 64, 65, 79, 80, 127, 128, 129, 160, 172, 1100, 1200};
    const std::size_t aad_sizes[] = {0, 12, 16, 20, 33};
    for (std::size_t size : sizes) {
        for (std::size_t aad_size : aad_sizes) {
            Bytes key = random_bytes(random, 16), iv = random_bytes(random, 12);
            Bytes aad = random_bytes(random, aad_size), plain = random_bytes(random, size);
            Bytes expected = openssl_seal(key, iv, aad, plain);

            Aes128Gcm cipher(key.data());
            Bytes data = plain;
            std::uint8_t tag[16];
            cipher.seal(iv.data(), aad.data(), aad.size(), data.data(), data.size(), tag);
            Bytes sealed = data;
            sealed.insert(sealed.end(), tag, tag + 16);
            BOOST_TEST_CONTEXT("size " << size << ", aad " << aad_size) {
                BOOST_TEST(sealed == expected, boost::test_tools::per_element());
                BOOST_TEST(cipher.open(iv.data(), aad.data(), aad.size(), data.data(), data.size(), tag));
                BOOST_TEST(data == plain, boost::test_tools::per_element());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(aes_gcm_refuses_a_changed_tag_ciphertext_or_aad_and_leaves_the_data) {
    std::mt19937 random(8);
    Bytes key = random_bytes(random, 16), iv = random_bytes(random, 12);
    Bytes aad = random_bytes(random, 12), plain = random_bytes(random, 160);
    Aes128Gcm cipher(key.data());
    Bytes sealed = plain;
    std::uint8_t tag[16];
    cipher.seal(iv.data(), aad.data(), aad.size(), sealed.data(), sealed.size(), tag);

    std::uint8_t bad_tag[16];
    std::copy(tag, tag + 16, bad_tag);
    bad_tag[15] ^= 1;
    Bytes data = sealed;
    BOOST_TEST(!cipher.open(iv.data(), aad.data(), aad.size(), data.data(), data.size(), bad_tag));
    BOOST_TEST(data == sealed);

    data[100] ^= 0x40;
    BOOST_TEST(!cipher.open(iv.data(), aad.data(), aad.size(), data.data(), data.size(), tag));
    data[100] ^= 0x40;

    Bytes bad_aad = aad;
    bad_aad[3] ^= 1;
    BOOST_TEST(!cipher.open(iv.data(), bad_aad.data(), bad_aad.size(), data.data(), data.size(), tag));
    BOOST_TEST(data == sealed);
    BOOST_TEST(cipher.open(iv.data(), aad.data(), aad.size(), data.data(), data.size(), tag));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(what_we_protect_libre_opens_across_the_rollover, Cipher, Ciphers) {
    Keys<Cipher> keys(21);
    Cipher ours(keys.master.data());
    // Two streams interleaved, one with CSRCs and a header extension, from 65000 across
    // 65535 -> 0 (the rollover counter becomes 1) to 1500.
    for (std::uint32_t n = 0; n < 2036; ++n) {
        for (int which = 0; which < 2; ++which) {
            RtpShape shape;
            shape.ssrc = which ? 0x5566u : 0x11223344u;
            shape.sequence = static_cast<std::uint16_t>(65000 + n);
            shape.csrcs = which ? 2 : 0;
            shape.extension_words = which ? 3 : 0;
            shape.payload = 20 + n % 200;
            auto packet = rtp_packet(shape, static_cast<std::uint8_t>(n));
            Bytes plain = contents(packet.get());
            BOOST_REQUIRE(ours.protect(packet.get()));
            BOOST_REQUIRE_EQUAL(mbuf_get_left(packet.get()), plain.size() + Cipher::kTagSize);
            BOOST_REQUIRE_MESSAGE(srtp_decrypt(keys.libre_receiver.get(), packet.get()) == 0,
                                  "libre refused packet " << n << " of stream " << which);
            BOOST_REQUIRE(contents(packet.get()) == plain);
        }
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(what_libre_protects_we_open_across_the_rollover, Cipher, Ciphers) {
    Keys<Cipher> keys(22);
    Cipher ours(keys.master.data());
    for (std::uint32_t n = 0; n < 2036; ++n) {
        RtpShape shape;
        shape.sequence = static_cast<std::uint16_t>(65000 + n);
        shape.extension_words = n % 3;
        auto packet = rtp_packet(shape, static_cast<std::uint8_t>(n));
        Bytes plain = contents(packet.get());
        BOOST_REQUIRE(srtp_encrypt(keys.libre_sender.get(), packet.get()) == 0);
        BOOST_REQUIRE_MESSAGE(ours.unprotect(packet.get()), "refused packet " << n);
        BOOST_REQUIRE(contents(packet.get()) == plain);
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_receiver_refuses_forgeries_replays_and_packets_older_than_the_window, Cipher, Ciphers) {
    Keys<Cipher> keys(23);
    Cipher receiver(keys.master.data());
    std::vector<RePtr<struct mbuf>> sent;  // sequence 1000 + i
    for (std::uint16_t i = 0; i < 200; ++i) {
        RtpShape shape;
        shape.sequence = static_cast<std::uint16_t>(1000 + i);
        sent.push_back(rtp_packet(shape, 1));
        BOOST_REQUIRE(srtp_encrypt(keys.libre_sender.get(), sent.back().get()) == 0);
    }
    auto copy = [](const RePtr<struct mbuf> &packet) {
        RePtr<struct mbuf> out(mbuf_alloc(packet->end));
        mbuf_write_mem(out.get(), packet->buf, packet->end);
        out->pos = 0;
        return out;
    };

    // A changed header (authenticated, not encrypted) or tag: refused, nothing changed.
    auto forged = copy(sent[0]);
    forged->buf[5] ^= 1;  // the timestamp
    Bytes before = contents(forged.get());
    BOOST_TEST(!receiver.unprotect(forged.get()));
    BOOST_TEST(contents(forged.get()) == before);
    forged = copy(sent[0]);
    forged->buf[forged->end - 1] ^= 1;
    BOOST_TEST(!receiver.unprotect(forged.get()));

    // Up to 100 in order, then the replay of one of them is refused.
    for (std::size_t i = 0; i <= 100; i += 2) BOOST_REQUIRE(receiver.unprotect(copy(sent[i]).get()));
    BOOST_TEST(!receiver.unprotect(copy(sent[100]).get()));
    BOOST_TEST(!receiver.unprotect(copy(sent[50]).get()));
    // Late but inside the window and never seen (odd ones): accepted, once.
    BOOST_TEST(receiver.unprotect(copy(sent[99]).get()));
    BOOST_TEST(receiver.unprotect(copy(sent[41]).get()));
    BOOST_TEST(!receiver.unprotect(copy(sent[41]).get()));
    // Jump ahead: 199; now 101 (98 behind) is older than the 64-packet window.
    BOOST_TEST(receiver.unprotect(copy(sent[199]).get()));
    BOOST_TEST(!receiver.unprotect(copy(sent[101]).get()));
    BOOST_TEST(receiver.unprotect(copy(sent[150]).get()));
}

// libre 1.1.0's receiver makes a stream for a new SSRC and moves a stream's rollover
// counter before it checks the tag, so forged packets could stop a browser's media
// (docs/media.md). Ours change nothing until the tag has passed.
BOOST_AUTO_TEST_CASE_TEMPLATE(forged_packets_move_no_stream_state, Cipher, Ciphers) {
    Keys<Cipher> keys(26);
    Cipher receiver(keys.master.data());
    auto genuine = [&](std::uint16_t sequence, std::uint32_t ssrc) {
        RtpShape shape;
        shape.sequence = sequence;
        shape.ssrc = ssrc;
        auto packet = rtp_packet(shape, 3);
        BOOST_REQUIRE(srtp_encrypt(keys.libre_sender.get(), packet.get()) == 0);
        return packet;
    };
    auto forged = [&](std::uint16_t sequence, std::uint32_t ssrc) {  // a made-up tag; the key is not known
        RtpShape shape;
        shape.sequence = sequence;
        shape.ssrc = ssrc;
        auto packet = rtp_packet(shape, 3);
        packet->pos = packet->end;
        for (std::size_t i = 0; i < Cipher::kTagSize; ++i) mbuf_write_u8(packet.get(), static_cast<std::uint8_t>(0xa5 + i));
        packet->pos = 0;
        return packet;
    };
    for (std::uint16_t sequence = 40000; sequence < 40010; ++sequence)
        BOOST_REQUIRE(receiver.unprotect(genuine(sequence, 0x11223344u).get()));
    // Sequence 100 after 40009 reads as the next rollover; so does 7000.
    BOOST_TEST(!receiver.unprotect(forged(100, 0x11223344u).get()));
    BOOST_TEST(!receiver.unprotect(forged(7000, 0x11223344u).get()));
    BOOST_TEST(receiver.unprotect(genuine(40010, 0x11223344u).get()));
    // Forgeries from more made-up SSRCs than a direction keeps take no room.
    for (std::uint32_t ssrc = 1; ssrc <= SrtpStreams::kMaxStreams + 8; ++ssrc)
        BOOST_TEST(!receiver.unprotect(forged(1, ssrc).get()));
    BOOST_TEST(receiver.unprotect(genuine(5, 0x5566u).get()));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(what_is_not_rtp_or_one_stream_too_many_is_refused, Cipher, Ciphers) {
    Keys<Cipher> keys(24);
    Cipher sender(keys.master.data());
    RtpShape shape;
    auto version_one = rtp_packet(shape, 0);
    version_one->buf[0] = 0x40;
    BOOST_TEST(!sender.protect(version_one.get()));
    auto short_extension = rtp_packet(shape, 0);
    short_extension->buf[0] |= 0x10;  // says an extension of many words follows; it does not
    short_extension->buf[12] = 0xff;
    short_extension->buf[14] = 0xff;
    BOOST_TEST(!sender.protect(short_extension.get()));

    for (std::uint32_t ssrc = 1; ssrc <= SrtpStreams::kMaxStreams; ++ssrc) {
        shape.ssrc = ssrc;
        BOOST_REQUIRE(sender.protect(rtp_packet(shape, 0).get()));
    }
    shape.ssrc = SrtpStreams::kMaxStreams + 1;
    auto one_too_many = rtp_packet(shape, 0);
    Bytes before = contents(one_too_many.get());
    BOOST_TEST(!sender.protect(one_too_many.get()));
    BOOST_TEST(contents(one_too_many.get()) == before);
    shape.ssrc = 1;
    shape.sequence = 2;  // its next packet: the first one's index is used (see below)
    BOOST_TEST(sender.protect(rtp_packet(shape, 0).get()));  // a known stream still goes
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_sender_never_seals_an_index_twice, Cipher, Ciphers) {
    // The same index is the same keystream (for GCM the same nonce, which gives the hash key away).
    Keys<Cipher> keys(25);
    Cipher sender(keys.master.data());
    auto seal = [&](std::uint16_t sequence, std::uint32_t ssrc = 0x11223344u) {
        RtpShape shape;
        shape.ssrc = ssrc;
        shape.sequence = sequence;
        auto packet = rtp_packet(shape, static_cast<std::uint8_t>(sequence));
        Bytes before = contents(packet.get());
        bool sealed = sender.protect(packet.get());
        if (!sealed) BOOST_TEST(contents(packet.get()) == before);  // refused: untouched
        if (sealed) BOOST_TEST(srtp_decrypt(keys.libre_receiver.get(), packet.get()) == 0);
        return sealed;
    };
    for (std::uint16_t sequence = 30000; sequence <= 30100; sequence += 2) BOOST_REQUIRE(seal(sequence));
    BOOST_TEST(!seal(30100));  // the highest again
    BOOST_TEST(!seal(30050));  // one inside the window, sealed already
    BOOST_TEST(sender.refused_used_index() == 2u);
    BOOST_TEST(seal(30099));   // late, inside the window, never sealed: goes, once
    BOOST_TEST(!seal(30099));
    BOOST_TEST(!seal(30020));  // 80 behind: older than the window, refused
    // A phone starting its sequence again under the same SSRC: dropped until it passes
    // its old highest number (a jump of more than half the space is a rollover and goes).
    BOOST_TEST(!seal(5));
    BOOST_TEST(seal(30101));
    BOOST_TEST(seal(7, 0x5566));  // another SSRC starts anywhere
    BOOST_TEST(sender.refused_used_index() == 5u);
}

// RFC 7714 section 16.1 and 17.1-17.4 (AEAD_AES_128_GCM), the session key and salt given
// directly: key 00..0f, salt "Quid pro quo".
namespace {

Bytes hex(const std::string &text) {
    Bytes out;
    std::string digits;
    for (char c : text)
        if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
    return out;
}

Bytes joined(std::initializer_list<Bytes> parts) {
    Bytes out;
    std::size_t size = 0;
    for (const auto &part : parts) size += part.size();
    out.reserve(size);
    for (const auto &part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

const Bytes kRfcKey = hex("000102030405060708090a0b0c0d0e0f");
const Bytes kRfcSalt = hex("517569642070726f2071756f");
// "Gallia est omnis divisa in partes tres": sequence number f17b, SSRC 5501a0b2, ROC 0.
const Bytes kRfcRtp = hex("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973"
                          "20646976 69736120 696e2070 61727465 73207472 6573");
// The sender report of section 17 that 17.1-17.4 protect (SSRC "Mars"), SRTCP index 5d4.
const Bytes kRfcRtcp = hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
                           "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");

}  // namespace

BOOST_AUTO_TEST_CASE(rfc7714_16_1_rtp_encryption_and_decryption) {
    const Bytes expected = hex("8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca"
                               "be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1"
                               "6a9152cf 765ee439 0cce");
    auto sender = SrtpGcm::from_session_keys(kRfcKey.data(), kRfcSalt.data());
    RePtr<struct mbuf> packet(mbuf_alloc(128));
    mbuf_write_mem(packet.get(), kRfcRtp.data(), kRfcRtp.size());
    packet->pos = 0;
    BOOST_REQUIRE(sender.protect(packet.get()));
    BOOST_TEST(contents(packet.get()) == expected, boost::test_tools::per_element());

    auto receiver = SrtpGcm::from_session_keys(kRfcKey.data(), kRfcSalt.data());
    BOOST_REQUIRE(receiver.unprotect(packet.get()));
    BOOST_TEST(contents(packet.get()) == kRfcRtp, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rfc7714_16_1_3_and_17_aes_gcm_known_answers) {
    Aes128Gcm cipher(kRfcKey.data());
    std::uint8_t tag[16];
    // 16.1: the nonce of SSRC 5501a0b2, ROC 0, SEQ f17b (what SrtpGcm::nonce forms).
    const Bytes rtp_iv = hex("51753c65 80c2726f 20718414");
    // 16.1.3: the whole RTP packet as associated data, nothing encrypted.
    cipher.seal(rtp_iv.data(), kRfcRtp.data(), kRfcRtp.size(), nullptr, 0, tag);
    BOOST_TEST(Bytes(tag, tag + 16) == hex("22493f82 d2bce397 e9d79e3b 19aa4216"), boost::test_tools::per_element());

    // 17.1: SRTCP, E=1: the associated data is the 8-byte header and E|index, the rest is
    // encrypted; on the wire: header, ciphertext, tag, E|index.
    const Bytes rtcp_iv = hex("51752405 5203726f 207170bb");
    const Bytes header(kRfcRtcp.begin(), kRfcRtcp.begin() + 8), index = hex("800005d4");
    Bytes aad = joined({header, index});
    Bytes body(kRfcRtcp.begin() + 8, kRfcRtcp.end());
    cipher.seal(rtcp_iv.data(), aad.data(), aad.size(), body.data(), body.size(), tag);
    Bytes wire = joined({header, body, Bytes(tag, tag + 16), index});
    BOOST_TEST(wire == hex("81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7"
                           "6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458"
                           "96cf4d2f c5abf872 45d9eade 800005d4"),
               boost::test_tools::per_element());
    BOOST_TEST(cipher.open(rtcp_iv.data(), aad.data(), aad.size(), body.data(), body.size(), tag));
    BOOST_TEST(body == Bytes(kRfcRtcp.begin() + 8, kRfcRtcp.end()));

    // 17.3: SRTCP, E=0 (tagged, not encrypted): the whole packet and E|index are the
    // associated data. The gateway refuses such packets from browsers (SrtcpGuard); the
    // vector still pins the cipher.
    Bytes whole = joined({kRfcRtcp, hex("000005d4")});
    cipher.seal(rtcp_iv.data(), whole.data(), whole.size(), nullptr, 0, tag);
    BOOST_TEST(Bytes(tag, tag + 16) == hex("841dd968 3dd78ec9 2ae58790 125f62b3"), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
