// Raw bytes from the network -> libre's sip_msg_decode -> what registration reads from
// the answer (sip::read_register_answer), then the credentials it would send back.
#include "check.hpp"
#include "libre_input.hpp"

#include "sip/register_answer.hpp"

#include <re.h>

#include <cstddef>
#include <cstdint>
#include <string>

using namespace sylk::sip;

namespace {

// The Contact our REGISTER sent; the seeds' 200 answers list it (fuzz/corpus/register_answer).
constexpr const char *kContactUri = "sip:gw-00000000000000aa@127.0.0.1:5080";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size == 0) return 0;
    sylk::fuzz::DecodedSip decoded_sip(data, size);
    if (const struct sip_msg *message = decoded_sip.message()) {
        RegisterAnswer answer = read_register_answer(*message, kContactUri);
        FUZZ_CHECK(answer.status == message->scode);
        if (answer.challenge) {
            FUZZ_CHECK(answer.status == 401 || answer.status == 407);
            FUZZ_CHECK(answer.challenge_from_proxy == (answer.status == 407));
            if (can_answer(*answer.challenge)) {
                DigestInput input{"alice", "0cc175b9c0f1b6a831c399e269772661", "REGISTER", "sip:example.com", 1,
                                  "0a4f113b"};
                FUZZ_CHECK(!authorization_value(*answer.challenge, input).empty());
            }
        }
    }
    return 0;
}
