#ifndef WATERMARK_CCRYPTOSHIM_H
#define WATERMARK_CCRYPTOSHIM_H
// HMACSHA256 uses the SHA256_CTX functions, deprecated in OpenSSL 3 in favour of EVP but
// kept: a state there is a plain struct, copied by assignment, where EVP_MD_CTX_copy_ex
// frees, allocates and cleanses on every copy (most of the cost of one short MAC).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#endif
