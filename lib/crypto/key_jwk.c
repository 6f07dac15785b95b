/* RSA private keys from JWKs (RFC 7518 6.3.2), for clients that keep their registered key
 * as a JWK instead of PEM. Public JWKs are read by porten_key_from_jwk in key.c. */
#include <limits.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/key_internal.h"
#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/error.h"
#include "porten/limits.h"

/* Bytes of the largest value accepted from a member, leading zero bytes included. */
#define PJWK_VALUE_MAX (PORTEN_RSA_MAX_BITS / 8 + 8)

enum { P_N, P_E, P_D, P_P, P_Q, P_DP, P_DQ, P_QI, P_COUNT };

static const struct {
	const char *member;
	const char *param;
} pjwk_members[P_COUNT] = {
	{ "n", OSSL_PKEY_PARAM_RSA_N },
	{ "e", OSSL_PKEY_PARAM_RSA_E },
	{ "d", OSSL_PKEY_PARAM_RSA_D },
	{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
	{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
	{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
	{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
	{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
};

/* Decodes member i into a BIGNUM (secure heap for private values). 0, PORTEN_ERR_NOT_FOUND
 * when absent, PORTEN_ERR_INVALID when not strict base64url or too long. */
static int
member_bn(const json_t *jwk, int i, BIGNUM **out)
{
	unsigned char buf[PJWK_VALUE_MAX];
	const json_t *v = json_object_get(jwk, pjwk_members[i].member);
	size_t n, len = 0;
	int r = PORTEN_ERR_INVALID;

	*out = NULL;
	if (v == NULL)
		return PORTEN_ERR_NOT_FOUND;
	if (!json_is_string(v) || (n = json_string_length(v)) == 0 ||
	    porten_b64_decoded_max(n) > sizeof(buf))
		return PORTEN_ERR_INVALID;
	if (porten_b64url_decode(json_string_value(v), n, buf, sizeof(buf), &len) != 0 || len == 0)
		goto out;
	*out = i <= P_E ? BN_bin2bn(buf, (int)len, NULL) : BN_secure_new();
	if (*out != NULL && i > P_E && BN_bin2bn(buf, (int)len, *out) == NULL) {
		BN_clear_free(*out);
		*out = NULL;
	}
	r = *out != NULL ? 0 : PORTEN_ERR_NOMEM;
out:
	porten_wipe(buf, sizeof(buf));
	return r;
}

int
porten_key_from_private_jwk(const json_t *jwk, porten_key **out)
{
	BIGNUM *bn[P_COUNT] = { NULL };
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	const json_t *kty;
	int i, ncrt = 0, bits, r = PORTEN_ERR_INVALID;

	*out = NULL;
	if (!json_is_object(jwk))
		goto out;
	kty = json_object_get(jwk, "kty");
	if (!json_is_string(kty) || strcmp(json_string_value(kty), "RSA") != 0 ||
	    json_string_length(kty) != 3)
		goto out;
	for (i = 0; i < P_COUNT; i++) {
		r = member_bn(jwk, i, &bn[i]);
		if (r == PORTEN_ERR_NOT_FOUND && i >= P_P)
			continue;
		if (r != 0) {
			if (r == PORTEN_ERR_NOT_FOUND)
				r = PORTEN_ERR_INVALID;
			goto out;
		}
		if (i >= P_P)
			ncrt++;
	}
	r = PORTEN_ERR_INVALID;
	if (ncrt != 0 && ncrt != P_COUNT - P_P)
		goto out;
	bits = BN_num_bits(bn[P_N]);
	if (bits < PORTEN_RSA_MIN_BITS || bits > PORTEN_RSA_MAX_BITS || !BN_is_odd(bn[P_N]) ||
	    BN_num_bytes(bn[P_E]) > 8 || !BN_is_odd(bn[P_E]) || BN_is_one(bn[P_E]))
		goto out;
	r = PORTEN_ERR_NOMEM;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto out;
	for (i = 0; i < P_COUNT; i++)
		if (bn[i] != NULL && OSSL_PARAM_BLD_push_BN(bld, pjwk_members[i].param, bn[i]) != 1)
			goto out;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	r = PORTEN_ERR_INVALID;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	EVP_PKEY_CTX_free(ctx);
	/* A JWK whose d does not belong to n would sign garbage: check the pair once. */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    (ncrt != 0 && EVP_PKEY_pairwise_check(ctx) != 1))
		goto out;
	r = porten_key_wrap(pk, out);
	pk = NULL;
out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);   /* secure-heap parts (from BN_secure_new) are cleansed */
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < P_COUNT; i++)
		BN_clear_free(bn[i]);
	ERR_clear_error();
	return r;
}
