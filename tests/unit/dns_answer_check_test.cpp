#include "sip/dns_answer_check.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>
#include <vector>

using namespace sylk;

namespace {

void put16(std::vector<std::uint8_t> &out, unsigned value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

void put_name(std::vector<std::uint8_t> &out, const std::string &name) {
    std::size_t start = 0;
    while (start < name.size()) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        out.push_back(static_cast<std::uint8_t>(dot - start));
        out.insert(out.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    out.push_back(0);
}

// A response to "<name> A?" with one A record in the answer and, if given, one AAAA in
// the additional section (as an SRV answer carries its target's address).
std::vector<std::uint8_t> response(const std::string &name, std::array<std::uint8_t, 4> a,
                                   const std::vector<std::uint8_t> &additional_aaaa = {}) {
    std::vector<std::uint8_t> out;
    put16(out, 0x1234);  // id
    put16(out, 0x8180);  // QR, RD, RA, NOERROR
    put16(out, 1);
    put16(out, 1);
    put16(out, 0);
    put16(out, additional_aaaa.empty() ? 0 : 1);
    put_name(out, name);
    put16(out, 1);
    put16(out, 1);
    put16(out, 0xC00C);  // the question's name
    put16(out, 1);
    put16(out, 1);
    put16(out, 0);
    put16(out, 60);
    put16(out, 4);
    out.insert(out.end(), a.begin(), a.end());
    if (!additional_aaaa.empty()) {
        put16(out, 0xC00C);
        put16(out, 28);
        put16(out, 1);
        put16(out, 0);
        put16(out, 60);
        put16(out, 16);
        out.insert(out.end(), additional_aaaa.begin(), additional_aaaa.end());
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dns_answer_check)

BOOST_AUTO_TEST_CASE(a_public_answer_passes_unchanged) {
    access::AddressPolicy policy;
    auto bytes = response("sip.example.com", {192, 0, 2, 7});
    auto verdict = sip::check_dns_response(bytes.data(), bytes.size(), policy);
    BOOST_TEST(verdict.well_formed);
    BOOST_TEST(verdict.id == 0x1234);
    BOOST_TEST(!verdict.refusal.has_value());
}

BOOST_AUTO_TEST_CASE(an_inside_address_in_any_section_turns_the_answer_into_refused) {
    access::AddressPolicy policy;
    auto bytes = response("sip.example.com", {10, 0, 0, 7});
    auto verdict = sip::check_dns_response(bytes.data(), bytes.size(), policy);
    BOOST_TEST_REQUIRE(verdict.refusal.has_value());
    BOOST_TEST(*verdict.refusal == "10.0.0.7 is a private address (not in allowed_networks)");
    // Header and question only: same id and question, rcode 5, no records.
    std::size_t question_end = 12 + std::string("sip.example.com").size() + 2 + 4;
    BOOST_TEST_REQUIRE(verdict.refused.size() == question_end);
    BOOST_TEST(verdict.refused[0] == 0x12);
    BOOST_TEST((verdict.refused[3] & 0x0F) == 5);
    for (std::size_t at = 6; at < 12; ++at) BOOST_TEST(verdict.refused[at] == 0);

    std::vector<std::uint8_t> loopback6(16, 0);
    loopback6[15] = 1;
    auto hidden = response("sip.example.com", {192, 0, 2, 7}, loopback6);  // ::1 among the additional records
    BOOST_TEST(sip::check_dns_response(hidden.data(), hidden.size(), policy).refusal.has_value());

    access::AddressPolicy allowed({*access::parse_network("10.0.0.0/8")});
    BOOST_TEST(!sip::check_dns_response(bytes.data(), bytes.size(), allowed).refusal.has_value());
}

BOOST_AUTO_TEST_CASE(responses_that_cannot_be_read_are_not_well_formed) {
    access::AddressPolicy policy;
    auto bytes = response("sip.example.com", {192, 0, 2, 7});
    for (std::size_t cut : {std::size_t{0}, std::size_t{11}, std::size_t{20}, bytes.size() - 1})
        BOOST_TEST_CONTEXT(cut) { BOOST_TEST(!sip::check_dns_response(bytes.data(), cut, policy).well_formed); }
    bytes[2] &= 0x7F;  // a query, not a response
    BOOST_TEST(!sip::check_dns_response(bytes.data(), bytes.size(), policy).well_formed);
}

BOOST_AUTO_TEST_SUITE_END()
