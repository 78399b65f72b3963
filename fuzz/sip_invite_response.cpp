// Raw bytes from the network -> libre's sip_msg_decode -> what a call reads from the
// answer to its INVITE when it is a 401/407 (sip::read_invite_challenge) and the header
// it would send back (sip::credentials_header), as SipCall::answer_challenge does.
// Properties: a challenge only from 401/407, from the proxy exactly for 407, answerable
// from the HA1; "the account's realm" only for its domain or a listed realm; the
// credentials are one header line (a fold aside) that libre reads back whole inside a
// request, and say the challenge's realm, nonce, opaque and algorithm back unchanged.
#include "check.hpp"
#include "libre_input.hpp"

#include "sip/invite_challenge.hpp"

#include <re.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace sylk::sip;

namespace {

OutgoingCallSpec call_spec() {
    OutgoingCallSpec spec;
    spec.user = "alice";
    spec.domain = "example.com";
    spec.ha1 = "0cc175b9c0f1b6a831c399e269772661";
    spec.target = "sip:5000@example.com";
    spec.realms = {"example.com", "registrar.example.com"};
    return spec;
}

// One header line: CR LF at its end, and elsewhere only as a fold (CR LF then a space or
// tab, which libre keeps inside a challenge's quoted string and every reader unfolds).
bool ends_only_at_its_end(std::string_view line) {
    if (line.size() < 2 || line.substr(line.size() - 2) != "\r\n") return false;
    for (std::size_t i = 0; i + 2 < line.size(); ++i) {
        if (line[i] == '\n') return false;
        if (line[i] != '\r') continue;
        if (line[i + 1] != '\n' || i + 2 >= line.size() - 2 || (line[i + 2] != ' ' && line[i + 2] != '\t'))
            return false;
        ++i;
    }
    return true;
}

// The credentials inside a minimal INVITE, read back by libre: exactly one header of
// the right name whose value is the one written.
void check_reads_back(const std::string &line, bool proxy) {
    std::string request = "INVITE sip:5000@example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK1\r\n"
                          "Call-ID: 1\r\nCSeq: 2 INVITE\r\nFrom: <sip:alice@example.com>;tag=1\r\n"
                          "To: <sip:5000@example.com>\r\n" +
                          line + "Content-Length: 0\r\n\r\n";
    struct mbuf *buffer = mbuf_alloc(request.size());
    if (!buffer) std::abort();
    mbuf_write_mem(buffer, reinterpret_cast<const std::uint8_t *>(request.data()), request.size());
    buffer->pos = 0;
    struct sip_msg *message = nullptr;
    FUZZ_CHECK(sip_msg_decode(&message, buffer) == 0);
    enum sip_hdrid id = proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION;
    FUZZ_CHECK(sip_msg_hdr_count(message, id) == 1);
    FUZZ_CHECK(list_count(&message->hdrl) == 7);
    const struct sip_hdr *header = sip_msg_hdr(message, id);
    std::string_view written(line);
    written.remove_prefix(written.find(": ") + 2);
    written.remove_suffix(2);
    FUZZ_CHECK(std::string_view(header->val.p, header->val.l) == written);
    mem_deref(message);
    mem_deref(buffer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size == 0) return 0;
    sylk::fuzz::DecodedSip decoded_sip(data, size);
    const struct sip_msg *message = decoded_sip.message();
    if (!message) return 0;
    static const OutgoingCallSpec spec = call_spec();
    auto read = read_invite_challenge(*message, spec);
    if (read) {
        FUZZ_CHECK(!message->req && (message->scode == 401 || message->scode == 407));
        FUZZ_CHECK(read->from_proxy == (message->scode == 407));
        FUZZ_CHECK(can_answer(read->challenge));
        FUZZ_CHECK(read->realm_is_accounts ==
                   (read->challenge.realm == "example.com" || read->challenge.realm == "registrar.example.com"));
        DigestInput input{spec.user, spec.ha1, "INVITE", spec.target, 1, "0a4f113b"};
        std::string line = credentials_header(*read, input);
        FUZZ_CHECK(ends_only_at_its_end(line));
        check_reads_back(line, read->from_proxy);
        std::string_view value(line);
        value.remove_prefix(value.find(": ") + 2);
        value.remove_suffix(2);
        auto echoed = parse_digest_challenge(value);
        FUZZ_CHECK(echoed);
        FUZZ_CHECK(echoed->realm == read->challenge.realm);
        FUZZ_CHECK(echoed->nonce == read->challenge.nonce);
        FUZZ_CHECK(echoed->opaque == read->challenge.opaque);
        FUZZ_CHECK(echoed->algorithm == read->challenge.algorithm);
    }
    return 0;
}
