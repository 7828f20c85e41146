#ifndef WATERMARK_CCRYPTOSHIM_H
#define WATERMARK_CCRYPTOSHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#endif
