// Writes the ice_check seeds: Binding requests as browsers send them, built with
// libre's STUN encoder and the target's credentials (ice_credentials.hpp), and the
// variants the responder must refuse. Build target `ice_check_seeds`; run it as
//   build-fuzz/fuzz/ice_check_seeds fuzz/corpus/ice_check
#include "../ice_credentials.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include <re.h>  // after <cstdint>: libre's headers expect the fixed-width types

namespace {

using namespace sylk::fuzz;

struct Check {
    const char *file;
    std::string username = std::string(kLocalUfrag) + ":" + kRemoteUfrag;
    const char *key = kLocalPwd;  // nullptr: no MESSAGE-INTEGRITY
    bool fingerprint = true;
    bool use_candidate = false;
    bool controlled = false;
    bool with_username = true;
    std::uint8_t cls = STUN_CLASS_REQUEST;
};

bool write(const std::string &directory, const Check &check) {
    struct mbuf *buffer = mbuf_alloc(512);
    if (!buffer) return false;
    std::uint8_t tid[STUN_TID_SIZE];
    for (std::size_t i = 0; i < sizeof tid; ++i) tid[i] = static_cast<std::uint8_t>(0xa0 + i);
    std::uint32_t priority = 1853824767;  // host candidate, as Chromium computes it
    std::uint64_t tiebreaker = 0x1122334455667788ull;
    const auto *key = reinterpret_cast<const std::uint8_t *>(check.key);
    int err = stun_msg_encode(buffer, STUN_METHOD_BINDING, check.cls, tid, nullptr, key, key ? std::strlen(check.key) : 0,
                              check.fingerprint, 0x20, 4, STUN_ATTR_USERNAME,
                              check.with_username ? check.username.c_str() : nullptr, STUN_ATTR_PRIORITY, &priority,
                              check.controlled ? STUN_ATTR_CONTROLLED : STUN_ATTR_CONTROLLING, &tiebreaker,
                              STUN_ATTR_USE_CAND, check.use_candidate ? &priority : nullptr);
    bool ok = err == 0;
    if (ok) {
        std::string path = directory + "/" + check.file;
        std::FILE *out = std::fopen(path.c_str(), "wb");
        ok = out && std::fwrite(buffer->buf, 1, buffer->end, out) == buffer->end;
        if (out) ok = std::fclose(out) == 0 && ok;
    }
    mem_deref(buffer);
    return ok;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIRECTORY\n", argv[0]);
        return 2;
    }
    std::string directory = argv[1];
    Check checks[] = {
        {"check.stun"},
        {"nominating-check.stun"},
        {"check-other-remote-ufrag.stun"},
        {"wrong-password.stun"},
        {"wrong-local-ufrag.stun"},
        {"controlled-peer.stun"},
        {"no-integrity.stun"},
        {"no-username.stun"},
        {"no-fingerprint.stun"},
        {"keepalive-indication.stun"},
    };
    checks[1].use_candidate = true;
    checks[2].username = std::string(kLocalUfrag) + ":other";
    checks[3].key = "not-the-gateway-password";
    checks[4].username = std::string("xx99:") + kRemoteUfrag;
    checks[5].controlled = true;
    checks[6].key = nullptr;
    checks[7].with_username = false;
    checks[8].fingerprint = false;
    checks[9].cls = STUN_CLASS_INDICATION;
    checks[9].key = nullptr;
    checks[9].with_username = false;
    for (const auto &check : checks)
        if (!write(directory, check)) {
            std::fprintf(stderr, "cannot write %s\n", check.file);
            return 1;
        }
    return 0;
}
