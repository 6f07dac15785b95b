/* spec/maskinporten.md 2.1 and checklist 11 "Grant header": alg, kid, x5c. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/pem.h>

#define ORG_A "974761076"        /* x5c client */
#define ORG_B "910753614"        /* registered-key client (also has a certificate) */
#define ORG_C "889640782"        /* second registered-key client */
#define ORG_PROVIDER "991825827"
#define SCOPE "hdr:api"

#define X5C_CLIENT "hdr-x5c"
#define KID_CLIENT "hdr-kid"
#define KID_CLIENT2 "hdr-kid2"

#define TXT_ALG "Invalid assertion."
#define TXT_MP123 "Invalid JWT header x5c"
#define TXT_UNKNOWN_KID "Invalid assertion. Client authentication failed. Unknown key identifier (kid) for client"
#define TXT_REQUIRES_JWK \
	"Invalid assertion. Client authentication failed. Invalid JWT. The client requires pre-registered jwk " \
	"and no key identifier (kid) provided"

static struct h_server *srv;
static struct h_cert *cert_a, *cert_b;
static struct h_key *k256, *k384, *k512, *kother;

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };
	json_t *seed, *jwks;

	h_init();
	cert_a = h_issue("a", ORG_A, "valid");
	cert_b = h_issue("b", ORG_B, "valid");
	k256 = h_key_new("hdr-k256");
	k384 = h_key_alias(k256, "hdr-k384");
	k512 = h_key_alias(k256, "hdr-k512");
	kother = h_key_new("hdr-other");

	seed = h_seed_new();
	h_seed_scope(seed, SCOPE, ORG_PROVIDER, NULL);
	h_seed_access(seed, SCOPE, ORG_A, "APPROVED");
	h_seed_access(seed, SCOPE, ORG_B, "APPROVED");
	h_seed_access(seed, SCOPE, ORG_C, "APPROVED");
	h_seed_client(seed, X5C_CLIENT, ORG_A, SCOPE, NULL);
	jwks = json_pack("{s:[o,o,o]}", "keys", h_key_jwk(k256, "RS256", h_T - 30 * 86400),
	                 h_key_jwk(k384, "RS384", h_T - 30 * 86400), h_key_jwk(k512, "RS512", h_T - 30 * 86400));
	h_seed_client(seed, KID_CLIENT, ORG_B, SCOPE, json_pack("{s:o}", "jwks", jwks));
	jwks = json_pack("{s:[o]}", "keys", h_key_jwk(kother, "RS256", h_T - 86400));
	h_seed_client(seed, KID_CLIENT2, ORG_C, SCOPE, json_pack("{s:o}", "jwks", jwks));
	o.seed = seed;
	srv = h_server_start(&o);
	return 0;
}

static int
group_teardown(void **state)
{
	h_server_stop(srv);
	h_cleanup();
	return 0;
}

/* RS256, RS384 and RS512 are each accepted, on the certificate path ... */
static void
alg_rs256_rs384_rs512_accepted_x5c(void **state)
{
	static const char *const algs[] = { "RS256", "RS384", "RS512" };

	for (size_t i = 0; i < 3; i++) {
		json_t *claims = h_token_ok(srv, h_sign_x5c(cert_a, algs[i], h_claims(X5C_CLIENT, SCOPE)));

		H_ASSERT_STR(H_JSTR(claims, "client_amr"), "virksomhetssertifikat");
	}
}

/* ... and on the registered-key path. */
static void
alg_rs256_rs384_rs512_accepted_kid(void **state)
{
	const struct h_key *keys[] = { k256, k384, k512 };
	static const char *const algs[] = { "RS256", "RS384", "RS512" };

	for (size_t i = 0; i < 3; i++) {
		json_t *claims = h_token_ok(srv, h_sign_kid(keys[i], algs[i], h_claims(KID_CLIENT, SCOPE)));

		H_ASSERT_STR(H_JSTR(claims, "client_amr"), "private_key_jwt");
	}
}

static const char *
x5c_header_with(const char *alg)
{
	json_t *h = h_keep_json(json_pack("{s:s,s:O}", "alg", alg, "x5c", cert_a->x5c_leaf));

	return h_dump(h);
}

/* alg none (an unsecured JWS, empty signature segment, RFC 7515 A.5) -> invalid_grant. */
static void
alg_none_rejected_invalid_grant(void **state)
{
	const char *payload = h_dump(h_claims(X5C_CLIENT, SCOPE));

	h_token_err(srv, h_jws_raw("none", NULL, NULL, 0, x5c_header_with("none"), payload), 400,
	            "invalid_grant", NULL, TXT_ALG);
	h_token_err(srv, h_jws_raw("none", NULL, NULL, 0, h_strf("{\"alg\":\"none\",\"kid\":\"%s\"}", k256->kid),
	                           h_dump(h_claims(KID_CLIENT, SCOPE))),
	            400, "invalid_grant", NULL, TXT_ALG);
}

/* alg none with a (non-empty) signature segment -> invalid_grant. */
static void
alg_none_with_signature_rejected(void **state)
{
	const char *payload = h_dump(h_claims(X5C_CLIENT, SCOPE));
	const char *jwt = h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_header_with("none"), payload);

	h_token_err(srv, jwt, 400, "invalid_grant", NULL, TXT_ALG);
}

/* HS256 / HS384 (keyed with a shared secret) -> invalid_grant. */
static void
alg_hs256_rejected(void **state)
{
	static const char secret[] = "a shared secret that Maskinporten never accepts";

	h_token_err(srv, h_jws_raw("HS256", NULL, secret, sizeof(secret) - 1, x5c_header_with("HS256"),
	                           h_dump(h_claims(X5C_CLIENT, SCOPE))),
	            400, "invalid_grant", NULL, TXT_ALG);
	h_token_err(srv, h_jws_raw("HS384", NULL, secret, sizeof(secret) - 1,
	                           h_strf("{\"alg\":\"HS384\",\"kid\":\"%s\"}", k256->kid),
	                           h_dump(h_claims(KID_CLIENT, SCOPE))),
	            400, "invalid_grant", NULL, TXT_ALG);
}

/* PS256 with a correct RSASSA-PSS signature by the certificate's key -> invalid_grant. */
static void
alg_ps256_rejected(void **state)
{
	h_token_err(srv, h_jws_raw("PS256", cert_a->evp, NULL, 0, x5c_header_with("PS256"),
	                           h_dump(h_claims(X5C_CLIENT, SCOPE))),
	            400, "invalid_grant", NULL, TXT_ALG);
	h_token_err(srv, h_jws_raw("PS256", k256->evp, NULL, 0, h_strf("{\"alg\":\"PS256\",\"kid\":\"%s\"}", k256->kid),
	                           h_dump(h_claims(KID_CLIENT, SCOPE))),
	            400, "invalid_grant", NULL, TXT_ALG);
}

/* ES256 with a correct ECDSA P-256 signature -> invalid_grant. */
static void
alg_es256_rejected(void **state)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	const char *jwt;

	assert_non_null(ec);
	jwt = h_jws_raw("ES256", ec, NULL, 0, x5c_header_with("ES256"), h_dump(h_claims(X5C_CLIENT, SCOPE)));
	EVP_PKEY_free(ec);
	h_token_err(srv, jwt, 400, "invalid_grant", NULL, TXT_ALG);
}

/* Other spellings: lowercase, missing alg, non-string alg -> invalid_grant. */
static void
alg_other_spellings_rejected(void **state)
{
	const char *payload = h_dump(h_claims(X5C_CLIENT, SCOPE));
	const char *x5c = h_dump(cert_a->x5c_leaf);

	h_token_err(srv, h_jws_raw("RS256", cert_a->evp, NULL, 0, x5c_header_with("rs256"), payload), 400,
	            "invalid_grant", NULL, TXT_ALG);
	h_token_err(srv, h_jws_raw("RS256", cert_a->evp, NULL, 0, h_strf("{\"x5c\":%s}", x5c),
	                           h_dump(h_claims(X5C_CLIENT, SCOPE))),
	            400, "invalid_grant", NULL, TXT_ALG);
	h_token_err(srv, h_jws_raw("RS256", cert_a->evp, NULL, 0, h_strf("{\"alg\":256,\"x5c\":%s}", x5c),
	                           h_dump(h_claims(X5C_CLIENT, SCOPE))),
	            400, "invalid_grant", NULL, TXT_ALG);
}

/* A header with neither kid nor x5c is rejected (x5c missing: MP-123). */
static void
neither_kid_nor_x5c_rejected(void **state)
{
	h_token_err(srv, h_jws_raw("RS256", cert_a->evp, NULL, 0, "{\"alg\":\"RS256\"}",
	                           h_dump(h_claims(X5C_CLIENT, SCOPE))),
	            400, "invalid_grant", "MP-123", TXT_MP123);
	h_token_err(srv, h_jws_raw("RS256", cert_a->evp, NULL, 0, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
	                           h_dump(h_claims(X5C_CLIENT, SCOPE))),
	            400, "invalid_grant", "MP-123", TXT_MP123);
}

/* x5c given as a string instead of an array -> MP-123. */
static void
x5c_as_string_is_mp123(void **state)
{
	json_t *h = h_keep_json(json_pack("{s:s,s:O}", "alg", "RS256", "x5c", json_array_get(cert_a->x5c_leaf, 0)));

	h_token_err(srv, h_sign_hdr(cert_a->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)), 400, "invalid_grant",
	            "MP-123", TXT_MP123);
}

/* x5c that is not an array of standard-base64 DER certificates -> MP-123. */
static void
x5c_malformed_is_mp123(void **state)
{
	const char *leaf = json_string_value(json_array_get(cert_a->x5c_leaf, 0));
	char *urlsafe = h_strf("%s", leaf);
	const char *const bad[] = {
		"[]", "{}", "[42]", "[\"not base64 at all!\"]", "[\"TUlJQg==\"]", "[null]",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		h_token_err(srv, h_jws_raw("RS256", cert_a->evp, NULL, 0, h_strf("{\"alg\":\"RS256\",\"x5c\":%s}", bad[i]),
		                           h_dump(h_claims(X5C_CLIENT, SCOPE))),
		            400, "invalid_grant", "MP-123", TXT_MP123);
	/* The url-safe alphabet is not the x5c alphabet (spec 2.1: standard base64). */
	for (char *p = urlsafe; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	if (strcmp(urlsafe, leaf) != 0)
		h_token_err(srv, h_jws_raw("RS256", cert_a->evp, NULL, 0,
		                           h_strf("{\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", urlsafe),
		                           h_dump(h_claims(X5C_CLIENT, SCOPE))),
		            400, "invalid_grant", "MP-123", TXT_MP123);
}

/* A leaf-only x5c is completed from the configured intermediates. */
static void
leaf_only_x5c_accepted(void **state)
{
	json_t *claims;

	H_ASSERT_INT(json_array_size(cert_a->x5c_leaf), 1);
	claims = h_token_ok(srv, h_sign_x5c(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE)));
	H_ASSERT_STR(H_JSTR(json_object_get(claims, "consumer"), "ID"), "0192:" ORG_A);
}

/* The full chain (leaf + intermediate) is accepted too. */
static void
full_chain_x5c_accepted(void **state)
{
	json_t *claims;

	H_ASSERT_INT(json_array_size(cert_a->x5c_chain), 2);
	claims = h_token_ok(srv, h_sign_x5c_chain(cert_a, "RS256", h_claims(X5C_CLIENT, SCOPE)));
	H_ASSERT_STR(H_JSTR(claims, "client_amr"), "virksomhetssertifikat");
}

/* kid and x5c together: the kid path decides. */
static void
kid_and_x5c_uses_kid_path(void **state)
{
	json_t *h, *claims;

	/* Signed by the registered key; the x5c (a valid certificate of the same org) is ignored. */
	h = h_keep_json(json_pack("{s:s,s:s,s:O}", "alg", "RS256", "kid", k256->kid, "x5c", cert_b->x5c_leaf));
	claims = h_token_ok(srv, h_sign_hdr(k256->key, "RS256", h, h_claims(KID_CLIENT, SCOPE)));
	H_ASSERT_STR(H_JSTR(claims, "client_amr"), "private_key_jwt");

	/* Signed by the certificate with a valid x5c, but the kid is not registered: the kid
	 * path is taken, so the grant fails with the unknown-kid error. */
	h = h_keep_json(json_pack("{s:s,s:s,s:O}", "alg", "RS256", "kid", "thumbprint-of-cert", "x5c",
	                          cert_a->x5c_leaf));
	h_token_err(srv, h_sign_hdr(cert_a->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)), 400, "invalid_grant",
	            NULL, TXT_UNKNOWN_KID);

	/* Signed by the certificate, registered kid named: verified with the registered key -> MP-124. */
	h = h_keep_json(json_pack("{s:s,s:s,s:O}", "alg", "RS256", "kid", k256->kid, "x5c", cert_b->x5c_leaf));
	h_token_err(srv, h_sign_hdr(cert_b->key, "RS256", h, h_claims(KID_CLIENT, SCOPE)), 400, "invalid_grant",
	            "MP-124", "Invalid JWT signature");
}

/* A client with registered keys that sends x5c only -> "requires pre-registered jwk". */
static void
client_with_keys_sending_x5c_only(void **state)
{
	/* cert_b's orgno is the client's: only the auth method is wrong. */
	h_token_err(srv, h_sign_x5c(cert_b, "RS256", h_claims(KID_CLIENT, SCOPE)), 400, "invalid_grant", NULL,
	            TXT_REQUIRES_JWK);
	h_token_err(srv, h_sign_x5c_chain(cert_b, "RS256", h_claims(KID_CLIENT, SCOPE)), 400, "invalid_grant", NULL,
	            TXT_REQUIRES_JWK);
}

/* Unknown kid -> "Unknown key identifier (kid) for client"; a kid registered on another
 * client is unknown for this one. */
static void
unknown_kid(void **state)
{
	struct h_key *ghost = h_key_alias(k256, "not-registered-anywhere");
	struct h_key *foreign = h_key_alias(kother, kother->kid);

	h_token_err(srv, h_sign_kid(ghost, "RS256", h_claims(KID_CLIENT, SCOPE)), 400, "invalid_grant", NULL,
	            TXT_UNKNOWN_KID);
	/* kother is registered on hdr-kid2, not on hdr-kid. */
	h_token_err(srv, h_sign_kid(foreign, "RS256", h_claims(KID_CLIENT, SCOPE)), 400, "invalid_grant", NULL,
	            TXT_UNKNOWN_KID);
	/* ... while it works for its own client. */
	h_token_ok(srv, h_sign_kid(kother, "RS256", h_claims(KID_CLIENT2, SCOPE)));
	/* A certificate client has no registered keys at all. */
	h_token_err(srv, h_sign_kid(ghost, "RS256", h_claims(X5C_CLIENT, SCOPE)), 400, "invalid_grant", NULL,
	            TXT_UNKNOWN_KID);
}

/* typ is not documented: ignored when present. */
static void
typ_header_ignored(void **state)
{
	json_t *h = h_keep_json(json_pack("{s:s,s:s,s:O}", "alg", "RS256", "typ", "JWT", "x5c", cert_a->x5c_leaf));

	h_token_ok(srv, h_sign_hdr(cert_a->key, "RS256", h, h_claims(X5C_CLIENT, SCOPE)));
	h = h_keep_json(json_pack("{s:s,s:s,s:s}", "alg", "RS256", "typ", "JWT", "kid", k256->kid));
	h_token_ok(srv, h_sign_hdr(k256->key, "RS256", h, h_claims(KID_CLIENT, SCOPE)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alg_rs256_rs384_rs512_accepted_x5c),
		cmocka_unit_test(alg_rs256_rs384_rs512_accepted_kid),
		cmocka_unit_test(alg_none_rejected_invalid_grant),
		cmocka_unit_test(alg_none_with_signature_rejected),
		cmocka_unit_test(alg_hs256_rejected),
		cmocka_unit_test(alg_ps256_rejected),
		cmocka_unit_test(alg_es256_rejected),
		cmocka_unit_test(alg_other_spellings_rejected),
		cmocka_unit_test(neither_kid_nor_x5c_rejected),
		cmocka_unit_test(x5c_as_string_is_mp123),
		cmocka_unit_test(x5c_malformed_is_mp123),
		cmocka_unit_test(leaf_only_x5c_accepted),
		cmocka_unit_test(full_chain_x5c_accepted),
		cmocka_unit_test(kid_and_x5c_uses_kid_path),
		cmocka_unit_test(client_with_keys_sending_x5c_only),
		cmocka_unit_test(unknown_kid),
		cmocka_unit_test(typ_header_ignored),
	};

	return cmocka_run_group_tests_name("integration: grant header", tests, group_setup, group_teardown);
}
