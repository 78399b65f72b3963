// The gateway's DTLS certificate: EC P-256, self-signed, its sha-256 fingerprint as SDP
// writes it, and the same fingerprint as libre computes once loaded into a DTLS context.
#include "media/dtls_certificate.hpp"
#include "media/re_ptr.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <re.h>

using sylk::media::DtlsCertificate;

BOOST_AUTO_TEST_SUITE(media_certificate)

BOOST_AUTO_TEST_CASE(fingerprint_is_sha256_in_sdp_form) {
    auto certificate = DtlsCertificate::generate();
    const auto &fingerprint = certificate.fingerprint();
    BOOST_TEST(fingerprint.size() == 32u * 3 - 1);
    for (std::size_t i = 0; i < fingerprint.size(); ++i) {
        if (i % 3 == 2)
            BOOST_TEST(fingerprint[i] == ':');
        else
            BOOST_TEST(std::isxdigit(static_cast<unsigned char>(fingerprint[i])));
    }
}

BOOST_AUTO_TEST_CASE(certificate_is_ec_p256_self_signed) {
    auto certificate = DtlsCertificate::generate();
    const unsigned char *der = certificate.certificate_der().data();
    X509 *x509 = d2i_X509(nullptr, &der, static_cast<long>(certificate.certificate_der().size()));
    BOOST_TEST_REQUIRE(x509 != nullptr);
    EVP_PKEY *key = X509_get0_pubkey(x509);
    BOOST_TEST(EVP_PKEY_is_a(key, "EC"));
    char group[64] = "";
    std::size_t length = 0;
    BOOST_TEST(EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &length) == 1);
    BOOST_TEST(std::string(group) == "prime256v1");
    BOOST_TEST(X509_verify(x509, key) == 1);  // signed by its own key
    X509_free(x509);
}

BOOST_AUTO_TEST_CASE(two_processes_never_share_one) {
    BOOST_TEST(DtlsCertificate::generate().fingerprint() != DtlsCertificate::generate().fingerprint());
}

BOOST_AUTO_TEST_CASE(libre_sees_the_same_fingerprint) {
    auto certificate = DtlsCertificate::generate();
    struct tls *context = nullptr;
    BOOST_TEST_REQUIRE(certificate.make_dtls_context(&context) == 0);
    sylk::media::RePtr<struct tls> owned(context);
    std::uint8_t digest[32];
    BOOST_TEST_REQUIRE(tls_fingerprint(context, TLS_FINGERPRINT_SHA256, digest, sizeof digest) == 0);
    BOOST_TEST(sylk::media::format_fingerprint(digest, sizeof digest) == certificate.fingerprint());
}

BOOST_AUTO_TEST_CASE(fingerprints_compare_in_either_case) {
    BOOST_TEST(sylk::media::same_fingerprint("AB:CD:01", "ab:cd:01"));
    BOOST_TEST(!sylk::media::same_fingerprint("AB:CD:01", "AB:CD:02"));
    BOOST_TEST(!sylk::media::same_fingerprint("", ""));
    const std::uint8_t bytes[] = {0x0a, 0xff};
    BOOST_TEST(sylk::media::format_fingerprint(bytes, 2) == "0A:FF");
}

BOOST_AUTO_TEST_SUITE_END()
