#include "sip/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace sylk::sip {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

void skip_space(std::string_view text, std::size_t &i) {
    while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',')) ++i;
}

// A quoted-string (RFC 3261 section 25.1): '"' and '\\' escaped, so that the registrar
// reads back exactly the value it sent (the digest is computed over the unescaped one).
std::string quoted(std::string_view value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

// Realm, nonce and opaque go back into our request's header as they came: a control
// character there (a bare CR or LF, a NUL; libre keeps them inside a header's value)
// ends the line for some parsers, so a challenge holding one is refused. HTAB and a
// fold (CR LF, then a space or tab) are whitespace (RFC 3261 25.1) and stay.
bool holds_control_character(std::string_view value) {
    for (std::size_t i = 0; i < value.size(); ++i) {
        auto byte = static_cast<unsigned char>(value[i]);
        if (byte == '\r' && i + 2 < value.size() && value[i + 1] == '\n' && (value[i + 2] == ' ' || value[i + 2] == '\t')) {
            i += 2;
            continue;
        }
        if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return true;
    }
    return false;
}

std::string hex8(std::uint32_t value) {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", value);
    return text;
}

}  // namespace

std::optional<DigestChallenge> parse_digest_challenge(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (!iequals(text.substr(i, 6), "Digest") || (i + 6 < text.size() && !std::isspace(static_cast<unsigned char>(text[i + 6]))))
        return std::nullopt;
    i += 6;
    DigestChallenge challenge;
    while (true) {
        skip_space(text, i);
        if (i >= text.size()) break;
        std::size_t equals = text.find('=', i);
        if (equals == std::string_view::npos) return std::nullopt;
        std::string_view key = text.substr(i, equals - i);
        while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.remove_suffix(1);
        i = equals + 1;
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::string value;
        if (i < text.size() && text[i] == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
                value += text[i];
            }
            if (i >= text.size()) return std::nullopt;  // unterminated quote
            ++i;
        } else {
            std::size_t end = text.find(',', i);
            if (end == std::string_view::npos) end = text.size();
            value = std::string(text.substr(i, end - i));
            while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
            i = end;
        }
        if (holds_control_character(value)) return std::nullopt;
        if (iequals(key, "realm")) challenge.realm = value;
        else if (iequals(key, "nonce")) challenge.nonce = value;
        else if (iequals(key, "opaque")) challenge.opaque = value;
        else if (iequals(key, "algorithm")) challenge.algorithm = value;
        else if (iequals(key, "stale")) challenge.stale = iequals(value, "true");
        else if (iequals(key, "qop")) {
            challenge.has_qop = true;
            std::size_t start = 0;
            while (start <= value.size()) {
                std::size_t comma = value.find(',', start);
                if (comma == std::string::npos) comma = value.size();
                std::string option = value.substr(start, comma - start);
                option.erase(std::remove_if(option.begin(), option.end(), [](unsigned char c) { return std::isspace(c); }),
                             option.end());
                if (iequals(option, "auth")) challenge.offers_qop_auth = true;
                start = comma + 1;
            }
        }
    }
    if (challenge.nonce.empty() && challenge.realm.empty()) return std::nullopt;
    return challenge;
}

bool can_answer(const DigestChallenge &challenge) {
    bool md5 = challenge.algorithm.empty() || iequals(challenge.algorithm, "MD5") ||
               iequals(challenge.algorithm, "MD5-sess");
    return md5 && (!challenge.has_qop || challenge.offers_qop_auth);
}

std::string md5_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int k = 0; k < length; ++k) {
        out += hex[digest[k] >> 4];
        out += hex[digest[k] & 0x0f];
    }
    return out;
}

std::string digest_response(const DigestChallenge &challenge, const DigestInput &input) {
    std::string ha1 = input.ha1;
    if (iequals(challenge.algorithm, "MD5-sess"))
        ha1 = md5_hex(ha1 + ":" + challenge.nonce + ":" + input.cnonce);
    std::string ha2 = md5_hex(input.method + ":" + input.uri);
    if (challenge.offers_qop_auth)
        return md5_hex(ha1 + ":" + challenge.nonce + ":" + hex8(input.nonce_count) + ":" + input.cnonce + ":auth:" +
                       ha2);
    return md5_hex(ha1 + ":" + challenge.nonce + ":" + ha2);
}

std::string authorization_value(const DigestChallenge &challenge, const DigestInput &input) {
    std::string value = "Digest username=" + quoted(input.username) + ", realm=" + quoted(challenge.realm) +
                        ", nonce=" + quoted(challenge.nonce) + ", uri=" + quoted(input.uri) +
                        ", response=" + quoted(digest_response(challenge, input));
    if (!challenge.algorithm.empty()) value += ", algorithm=" + challenge.algorithm;
    if (!challenge.opaque.empty()) value += ", opaque=" + quoted(challenge.opaque);
    if (challenge.offers_qop_auth)
        value += ", qop=auth, nc=" + hex8(input.nonce_count) + ", cnonce=" + quoted(input.cnonce);
    return value;
}

}  // namespace sylk::sip
