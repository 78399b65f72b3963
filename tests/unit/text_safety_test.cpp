// Text that crosses from clients and SIP peers into other protocols and into the log:
// UTF-8 repair, the display-name rules, the SIP quoted-string, log lines and their budget.
#include "log/log_budget.hpp"
#include "log/logger.hpp"
#include "protocol/decoder.hpp"
#include "protocol/display_name.hpp"
#include "sip/sip_text.hpp"
#include "text/utf8.hpp"

#include <boost/test/unit_test.hpp>

using namespace sylk;

BOOST_AUTO_TEST_SUITE(text_safety)

BOOST_AUTO_TEST_CASE(ill_formed_utf8_is_replaced_and_valid_text_kept) {
    BOOST_TEST(text::utf8_repaired("Zoë 日本 🎉") == "Zoë 日本 🎉");
    BOOST_TEST(text::utf8_repaired("Jos\xE9") == "Jos\xEF\xBF\xBD");           // Latin-1 é
    BOOST_TEST(text::utf8_repaired("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
    BOOST_TEST(text::utf8_repaired("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
    BOOST_TEST(text::utf8_repaired("\xF4\x90\x80\x80x").size() == 4 * 3 + 1);     // past U+10FFFF
    BOOST_TEST(text::utf8_repaired("ab\xE6\x97") == "ab\xEF\xBF\xBD\xEF\xBF\xBD");  // cut short
    BOOST_TEST(text::is_valid_utf8(text::utf8_repaired("\xFF\xFE\x80 \xC3")));
}

BOOST_AUTO_TEST_CASE(display_names_with_control_characters_or_too_long_are_refused) {
    BOOST_TEST(!protocol::display_name_problem("Alice \"The Boss\" \\ O'Neil"));
    BOOST_TEST(!protocol::display_name_problem(std::string(128, 'x')));
    BOOST_TEST(!protocol::display_name_problem("日本語の名前"));
    BOOST_TEST(protocol::display_name_problem(std::string(129, 'x')).has_value());
    BOOST_TEST(protocol::display_name_problem("Alice\r\nP-Asserted-Identity: <sip:ceo@bank>").has_value());
    BOOST_TEST(protocol::display_name_problem("Alice\nX").has_value());
    BOOST_TEST(protocol::display_name_problem(std::string("A\0B", 3)).has_value());
    BOOST_TEST(protocol::display_name_problem("tab\there").has_value());
    BOOST_TEST(protocol::display_name_problem("C1 \xC2\x85 next line").has_value());
    BOOST_TEST(protocol::display_name_problem("Latin-1 \xE9").has_value());
}

BOOST_AUTO_TEST_CASE(the_decoder_refuses_an_add_account_whose_display_name_would_inject_a_header) {
    auto decoded = protocol::decode_message(
        R"({"sylkrtc":"add_account","transaction":"T","account":"alice@example.com",)"
        R"("password":"0123456789abcdef0123456789abcdef","display_name":"Al\r\nX-Injected: yes"})");
    BOOST_TEST((decoded.outcome == protocol::DecodedMessage::Outcome::reply_error));
    BOOST_TEST(decoded.problem == "invalid field: display_name must not hold control characters");
}

BOOST_AUTO_TEST_CASE(quoted_strings_escape_quotes_and_backslashes_and_drop_control_characters) {
    BOOST_TEST(sip::quoted_string("Alice") == "\"Alice\"");
    BOOST_TEST(sip::quoted_string(R"(Al "The" \ B)") == R"("Al \"The\" \\ B")");
    BOOST_TEST(sip::quoted_string("a\r\nb") == "\"ab\"");
    // The end quote cannot be escaped away: a trailing backslash is itself escaped.
    BOOST_TEST(sip::quoted_string("x\\") == "\"x\\\\\"");
}

BOOST_AUTO_TEST_CASE(log_lines_cannot_be_forged_and_are_cut) {
    BOOST_TEST(log::printable_line("bad\nWARNING forged") == "bad\\x0aWARNING forged");
    BOOST_TEST(log::printable_line("a\r\x1b[31m") == "a\\x0d\\x1b[31m");
    BOOST_TEST(log::printable_line("Jos\xE9") == "Jos\xEF\xBF\xBD");
    std::string line = log::printable_line(std::string(log::kMaxLineBytes + 100, 'y'));
    BOOST_TEST(line.size() < log::kMaxLineBytes + 40);
    BOOST_TEST(line.find("(100 more bytes)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_log_budget_allows_a_burst_then_one_line_per_refill_and_counts_what_it_left_out) {
    using namespace std::chrono_literals;
    log::LogBudget budget(3, 10s);
    log::LogBudget::Clock::time_point t{};
    t += 1h;
    BOOST_TEST(budget.admit("a", t) == "a");
    BOOST_TEST(budget.admit("b", t) == "b");
    BOOST_TEST(budget.admit("c", t) == "c");
    for (int i = 0; i < 1000; ++i) BOOST_TEST(budget.admit("x", t + 1s).empty());
    BOOST_TEST(budget.admit("d", t + 11s) == "d (1000 similar lines left out)");
    BOOST_TEST(budget.admit("e", t + 12s).empty());
}

BOOST_AUTO_TEST_SUITE_END()
