// libre's accessor to a tls context's SSL_CTX: its header declares it only when built
// with USE_OPENSSL, which is libre's own build flag (it also changes re_sha.h), so it is
// declared here; Debian's libre 1.1.0 exports it.
#pragma once

#include <openssl/ssl.h>

struct tls;

extern "C" SSL_CTX *tls_openssl_context(const struct tls *tls);
