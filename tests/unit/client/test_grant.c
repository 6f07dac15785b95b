/* lib/client/grant.c and credentials.c: grants built both ways (x5c and kid), checked
 * byte for byte and verified with porten_jws_*; credentials from PEM, JWK and JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/key_internal.h"
#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/client.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/jws.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/pki.h"

#define AUD "https://test.maskinporten.no/"
#define T0 1700000000

static porten_key *key_a, *key_b;        /* two 2048-bit pairs */
static char dir[] = "/tmp/porten-test-grant-XXXXXX";
static char key_a_pem[300], key_b_pem[300], pub_a_pem[300], cert_a_pem[300], chain_pem[300];
static char jwk_a[300], jwk_pub[300], jwk_partial[300], jwk_ned[300];
static char *cert_a_b64, *cert_b_b64;

static void
write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(data, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* PEM of a certificate given as standard base64 DER. */
static void
append_cert_pem(struct porten_buf *b, const char *b64)
{
	size_t n = strlen(b64), i;

	assert_int_equal(porten_buf_appends(b, "-----BEGIN CERTIFICATE-----\n"), 0);
	for (i = 0; i < n; i += 64)
		assert_int_equal(porten_buf_appendf(b, "%.64s\n", b64 + i), 0);
	assert_int_equal(porten_buf_appends(b, "-----END CERTIFICATE-----\n"), 0);
}

static void
bn_member(json_t *jwk, const EVP_PKEY *pk, const char *param, const char *member)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	char *s = NULL;
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(pk, param, &bn), 1);
	n = BN_bn2bin(bn, buf);
	assert_true(n > 0);
	assert_int_equal(porten_b64url_encode_alloc(buf, (size_t)n, &s, NULL), 0);
	json_object_set_new(jwk, member, json_string(s));
	free(s);
	BN_clear_free(bn);
}

/* A private JWK of k: crt 1 with every CRT member, 0 with p alone (incomplete), 2 with
 * none (n, e, d only). */
static char *
private_jwk(const porten_key *k, const char *kid, int crt)
{
	const EVP_PKEY *pk = porten_key_evp(k);
	json_t *jwk = json_pack("{s:s}", "kty", "RSA");
	char *s;

	bn_member(jwk, pk, OSSL_PKEY_PARAM_RSA_N, "n");
	bn_member(jwk, pk, OSSL_PKEY_PARAM_RSA_E, "e");
	bn_member(jwk, pk, OSSL_PKEY_PARAM_RSA_D, "d");
	if (crt) {
		bn_member(jwk, pk, OSSL_PKEY_PARAM_RSA_FACTOR1, "p");
		bn_member(jwk, pk, OSSL_PKEY_PARAM_RSA_FACTOR2, "q");
		bn_member(jwk, pk, OSSL_PKEY_PARAM_RSA_EXPONENT1, "dp");
		bn_member(jwk, pk, OSSL_PKEY_PARAM_RSA_EXPONENT2, "dq");
		bn_member(jwk, pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, "qi");
	} else if (crt == 0) {
		bn_member(jwk, pk, OSSL_PKEY_PARAM_RSA_FACTOR1, "p");   /* p alone: incomplete */
	}
	if (kid != NULL)
		json_object_set_new(jwk, "kid", json_string(kid));
	s = json_dumps(jwk, JSON_COMPACT);
	json_decref(jwk);
	assert_non_null(s);
	return s;
}

static int
setup(void **state)
{
	struct porten_buf b;
	char *pem = NULL, *jwk;

	if (mkdtemp(dir) == NULL)
		return -1;
	if (porten_key_generate_rsa(2048, &key_a) != 0 || porten_key_generate_rsa(2048, &key_b) != 0)
		return -1;
	snprintf(key_a_pem, sizeof(key_a_pem), "%s/a-key.pem", dir);
	snprintf(key_b_pem, sizeof(key_b_pem), "%s/b-key.pem", dir);
	snprintf(pub_a_pem, sizeof(pub_a_pem), "%s/a-pub.pem", dir);
	snprintf(cert_a_pem, sizeof(cert_a_pem), "%s/a.pem", dir);
	snprintf(chain_pem, sizeof(chain_pem), "%s/chain.pem", dir);
	snprintf(jwk_a, sizeof(jwk_a), "%s/a.jwk.json", dir);
	snprintf(jwk_pub, sizeof(jwk_pub), "%s/a-pub.jwk.json", dir);
	snprintf(jwk_partial, sizeof(jwk_partial), "%s/a-partial.jwk.json", dir);
	snprintf(jwk_ned, sizeof(jwk_ned), "%s/a-ned.jwk.json", dir);

	if (porten_key_private_pem(key_a, &pem) != 0)
		return -1;
	write_file(key_a_pem, pem);
	free(pem);
	if (porten_key_private_pem(key_b, &pem) != 0)
		return -1;
	write_file(key_b_pem, pem);
	free(pem);
	if (porten_key_public_pem(key_a, &pem) != 0)
		return -1;
	write_file(pub_a_pem, pem);
	free(pem);

	if (porten_pki_self_signed_b64(key_a, "client a", 30, &cert_a_b64) != 0 ||
	    porten_pki_self_signed_b64(key_b, "client b", 30, &cert_b_b64) != 0)
		return -1;
	porten_buf_init(&b, 1 << 20);
	append_cert_pem(&b, cert_a_b64);
	write_file(cert_a_pem, b.data);
	porten_buf_reset(&b);
	/* A chain file whose first certificate is not the key's: the leaf moves first. */
	append_cert_pem(&b, cert_b_b64);
	append_cert_pem(&b, cert_a_b64);
	write_file(chain_pem, b.data);
	porten_buf_release(&b);

	jwk = private_jwk(key_a, "jwk-kid-1", 1);
	write_file(jwk_a, jwk);
	free(jwk);
	jwk = private_jwk(key_a, NULL, 0);
	write_file(jwk_partial, jwk);
	free(jwk);
	jwk = private_jwk(key_a, "ned", 2);
	write_file(jwk_ned, jwk);
	free(jwk);
	{
		json_t *pub = NULL;

		if (porten_key_to_jwk(key_a, "pub", &pub) != 0)
			return -1;
		jwk = json_dumps(pub, JSON_COMPACT);
		json_decref(pub);
		write_file(jwk_pub, jwk);
		free(jwk);
	}
	return 0;
}

static int
teardown(void **state)
{
	const char *files[] = { key_a_pem, key_b_pem, pub_a_pem, cert_a_pem, chain_pem, jwk_a,
	                        jwk_pub, jwk_partial, jwk_ned };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(dir);
	porten_key_unref(key_a);
	porten_key_unref(key_b);
	free(cert_a_b64);
	free(cert_b_b64);
	return 0;
}

/* The decoded header and payload of jws, as the exact bytes that were signed. */
static void
decode_parts(const char *jws, struct porten_jws_view *v, char **header, char **payload)
{
	unsigned char *buf;
	size_t n;

	assert_int_equal(porten_jws_split(jws, strlen(jws), PORTEN_JWT_MAX, v), 0);
	buf = malloc(v->header_len + 1);
	assert_int_equal(porten_b64url_decode(v->header, v->header_len, buf, v->header_len, &n), 0);
	buf[n] = '\0';
	*header = (char *)buf;
	buf = malloc(v->payload_len + 1);
	assert_int_equal(porten_b64url_decode(v->payload, v->payload_len, buf, v->payload_len, &n), 0);
	buf[n] = '\0';
	*payload = (char *)buf;
}

static void
test_x5c_grant(void **state)
{
	struct porten_client_credentials cr;
	struct porten_grant_params gp = { 0 };
	struct porten_jws_view v;
	char err[256], *jws = NULL, *h, *p;
	struct porten_buf want;
	unsigned char der[PORTEN_X5C_CERT_MAX];
	size_t dlen;
	porten_key *leaf = NULL;

	assert_int_equal(porten_client_credentials_load(&cr, "client-1", cert_a_pem, key_a_pem, NULL,
	                                                err, sizeof(err)), 0);
	assert_null(cr.kid);
	assert_int_equal(json_array_size(cr.x5c), 1);
	gp.audience = AUD;
	gp.scope = "folkeregister:deling/offentligmedhjemmel skatteetaten:medhjemmel";
	gp.now = T0;
	gp.jti = "415ec7ac-33eb-4ce3-bc86-6ad40e29768f";
	assert_int_equal(porten_grant_build(&cr, &gp, &jws), 0);

	decode_parts(jws, &v, &h, &p);
	porten_buf_init(&want, 1 << 16);
	assert_int_equal(porten_buf_appendf(&want, "{\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", cert_a_b64), 0);
	assert_string_equal(h, want.data);
	assert_string_equal(p, "{\"aud\":\"https://test.maskinporten.no/\",\"iss\":\"client-1\","
	                    "\"scope\":\"folkeregister:deling/offentligmedhjemmel skatteetaten:medhjemmel\","
	                    "\"iat\":1700000000,\"exp\":1700000120,"
	                    "\"jti\":\"415ec7ac-33eb-4ce3-bc86-6ad40e29768f\"}");
	/* Verifies with the key in the x5c leaf, as the server does, and not with another. */
	assert_int_equal(porten_b64std_decode(cert_a_b64, strlen(cert_a_b64), der, sizeof(der), &dlen), 0);
	assert_int_equal(porten_key_from_cert_der(der, dlen, &leaf), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, leaf), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, key_b), PORTEN_ERR_SIGNATURE);
	porten_key_unref(leaf);
	porten_buf_release(&want);
	free(h);
	free(p);
	free(jws);
	porten_client_credentials_clear(&cr);
}

static void
test_x5c_chain_leaf_first(void **state)
{
	struct porten_client_credentials cr;
	char err[256];

	assert_int_equal(porten_client_credentials_load(&cr, "client-1", chain_pem, key_a_pem, NULL,
	                                                err, sizeof(err)), 0);
	assert_int_equal(json_array_size(cr.x5c), 2);
	assert_string_equal(json_string_value(json_array_get(cr.x5c, 0)), cert_a_b64);
	assert_string_equal(json_string_value(json_array_get(cr.x5c, 1)), cert_b_b64);
	porten_client_credentials_clear(&cr);
}

static void
test_kid_grant(void **state)
{
	struct porten_client_credentials cr;
	struct porten_grant_params gp = { 0 };
	struct porten_jws_view v;
	char err[256], *jws = NULL, *h, *p;

	assert_int_equal(porten_client_credentials_load(&cr, "sandbox-consumer-key", NULL, key_a_pem,
	                                                "key-1", err, sizeof(err)), 0);
	assert_null(cr.x5c);
	gp.audience = AUD;
	gp.scope = "idporten:dcr.read";
	gp.now = T0;
	gp.lifetime = 60;
	gp.jti = "j-1";
	gp.resource = "https://freg.example/";
	gp.consumer_org = "310000000";
	assert_int_equal(porten_grant_build(&cr, &gp, &jws), 0);
	decode_parts(jws, &v, &h, &p);
	assert_string_equal(h, "{\"alg\":\"RS256\",\"kid\":\"key-1\"}");
	assert_string_equal(p, "{\"aud\":\"https://test.maskinporten.no/\",\"iss\":\"sandbox-consumer-key\","
	                    "\"scope\":\"idporten:dcr.read\",\"iat\":1700000000,\"exp\":1700000060,"
	                    "\"jti\":\"j-1\",\"resource\":\"https://freg.example/\","
	                    "\"consumer_org\":\"310000000\"}");
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, key_a), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, key_b), PORTEN_ERR_SIGNATURE);
	free(h);
	free(p);
	free(jws);
	porten_client_credentials_clear(&cr);
}

static void
test_kid_from_private_jwk(void **state)
{
	struct porten_client_credentials cr;
	struct porten_grant_params gp = { 0 };
	struct porten_jws_view v;
	char err[256], *jws = NULL, *h, *p;

	/* The JWK's own kid, unless one is given. */
	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, jwk_a, NULL, err, sizeof(err)), 0);
	assert_string_equal(cr.kid, "jwk-kid-1");
	assert_true(porten_key_has_private(cr.key));
	gp.audience = AUD;
	gp.scope = "s:a";
	gp.now = T0;
	gp.jti = "j";
	assert_int_equal(porten_grant_build(&cr, &gp, &jws), 0);
	decode_parts(jws, &v, &h, &p);
	assert_string_equal(h, "{\"alg\":\"RS256\",\"kid\":\"jwk-kid-1\"}");
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, key_a), 0);
	free(h);
	free(p);
	free(jws);
	porten_client_credentials_clear(&cr);

	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, jwk_a, "other", err, sizeof(err)), 0);
	assert_string_equal(cr.kid, "other");
	porten_client_credentials_clear(&cr);

	/* n, e and d alone also sign */
	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, jwk_ned, NULL, err, sizeof(err)), 0);
	assert_string_equal(cr.kid, "ned");
	assert_int_equal(porten_grant_build(&cr, &gp, &jws), 0);
	assert_int_equal(porten_jws_split(jws, strlen(jws), PORTEN_JWT_MAX, &v), 0);
	assert_int_equal(porten_jws_verify(&v, PORTEN_JWS_RS256, key_a), 0);
	free(jws);
	porten_client_credentials_clear(&cr);
}

static void
test_defaults(void **state)
{
	struct porten_client_credentials cr;
	struct porten_grant_params gp = { 0 };
	struct porten_jws_view v;
	char err[256], *jws1 = NULL, *jws2 = NULL, *h, *p;
	json_t *claims;
	int64_t now = porten_now();

	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, key_a_pem, "k", err, sizeof(err)), 0);
	gp.audience = AUD;
	gp.scope = "s:a";
	assert_int_equal(porten_grant_build(&cr, &gp, &jws1), 0);
	assert_int_equal(porten_grant_build(&cr, &gp, &jws2), 0);
	decode_parts(jws1, &v, &h, &p);
	claims = json_loads(p, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(claims);
	/* iat now, exp 120 s later, a fresh UUID as jti */
	assert_true(json_integer_value(json_object_get(claims, "iat")) >= now);
	assert_true(json_integer_value(json_object_get(claims, "iat")) <= now + 5);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")) -
	                 json_integer_value(json_object_get(claims, "iat")), PORTEN_GRANT_MAX_LIFETIME_S);
	assert_int_equal(strlen(json_string_value(json_object_get(claims, "jti"))), 36);
	assert_string_not_equal(jws1, jws2);   /* different jti */
	json_decref(claims);
	free(h);
	free(p);
	free(jws1);
	free(jws2);
	porten_client_credentials_clear(&cr);
}

static void
test_grant_refusals(void **state)
{
	struct porten_client_credentials cr;
	struct porten_grant_params gp = { 0 };
	char err[256], *jws = NULL;

	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, key_a_pem, "k", err, sizeof(err)), 0);
	gp.audience = AUD;
	gp.scope = "s:a";
	gp.lifetime = PORTEN_GRANT_MAX_LIFETIME_S + 1;
	assert_int_equal(porten_grant_build(&cr, &gp, &jws), PORTEN_ERR_INVALID);
	gp.lifetime = -1;
	assert_int_equal(porten_grant_build(&cr, &gp, &jws), PORTEN_ERR_INVALID);
	gp.lifetime = 0;
	gp.scope = "";
	assert_int_equal(porten_grant_build(&cr, &gp, &jws), PORTEN_ERR_INVALID);
	gp.scope = "s:a";
	gp.audience = NULL;
	assert_int_equal(porten_grant_build(&cr, &gp, &jws), PORTEN_ERR_INVALID);
	assert_null(jws);
	porten_client_credentials_clear(&cr);
}

static void
test_credential_errors(void **state)
{
	struct porten_client_credentials cr;
	char err[256], missing[320];

	snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
	/* the key does not belong to the certificate */
	assert_int_equal(porten_client_credentials_load(&cr, "c", cert_a_pem, key_b_pem, NULL, err,
	                                                sizeof(err)), PORTEN_ERR_INVALID);
	assert_non_null(strstr(err, "belongs to the private key"));
	assert_null(cr.key);
	/* neither certificate nor kid; both */
	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, key_a_pem, NULL, err,
	                                                sizeof(err)), PORTEN_ERR_USAGE);
	assert_int_equal(porten_client_credentials_load(&cr, "c", cert_a_pem, key_a_pem, "k", err,
	                                                sizeof(err)), PORTEN_ERR_USAGE);
	assert_int_equal(porten_client_credentials_load(&cr, "", NULL, key_a_pem, "k", err,
	                                                sizeof(err)), PORTEN_ERR_USAGE);
	/* unreadable files name the file */
	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, missing, "k", err,
	                                                sizeof(err)), PORTEN_ERR_IO);
	assert_non_null(strstr(err, missing));
	assert_int_equal(porten_client_credentials_load(&cr, "c", missing, key_a_pem, NULL, err,
	                                                sizeof(err)), PORTEN_ERR_IO);
	/* a public key, a public JWK, an incomplete private JWK, a key file as certificate */
	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, pub_a_pem, "k", err,
	                                                sizeof(err)), PORTEN_ERR_INVALID);
	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, jwk_pub, "k", err,
	                                                sizeof(err)), PORTEN_ERR_INVALID);
	assert_int_equal(porten_client_credentials_load(&cr, "c", NULL, jwk_partial, "k", err,
	                                                sizeof(err)), PORTEN_ERR_INVALID);
	assert_int_equal(porten_client_credentials_load(&cr, "c", key_a_pem, key_a_pem, NULL, err,
	                                                sizeof(err)), PORTEN_ERR_INVALID);
	assert_null(cr.client_id);
}

static void
test_credentials_from_json(void **state)
{
	struct porten_client_credentials cr;
	char err[256];
	json_t *entry;

	entry = json_pack("{s:s, s:s, s:s, s:s, s:[s,s]}", "orgno", "974761076", "client_id",
	                  "sandbox-admin", "certificate", cert_a_pem, "private_key", key_a_pem,
	                  "scopes", "idporten:scopes.write", "porten:admin");
	assert_int_equal(porten_client_credentials_from_json(&cr, entry, err, sizeof(err)), 0);
	assert_string_equal(cr.client_id, "sandbox-admin");
	assert_string_equal(cr.orgno, "974761076");
	assert_non_null(cr.x5c);
	assert_true(porten_client_credentials_hold(&cr, "porten:admin"));
	assert_false(porten_client_credentials_hold(&cr, "idporten:dcr.read"));
	porten_client_credentials_clear(&cr);
	json_decref(entry);

	/* a consumer's key_client entry */
	entry = json_pack("{s:s, s:s, s:s, s:s}", "client_id", "sandbox-consumer-key", "kid",
	                  "sandbox-consumer-key-1", "jwk", jwk_pub, "private_key", key_a_pem);
	assert_int_equal(porten_client_credentials_from_json(&cr, entry, err, sizeof(err)), 0);
	assert_string_equal(cr.kid, "sandbox-consumer-key-1");
	assert_false(porten_client_credentials_hold(&cr, "porten:admin"));   /* unknown */
	porten_client_credentials_clear(&cr);
	json_decref(entry);

	entry = json_pack("{s:s}", "client_id", "x");
	assert_int_equal(porten_client_credentials_from_json(&cr, entry, err, sizeof(err)),
	                 PORTEN_ERR_INVALID);
	json_decref(entry);
}

static void
test_sandbox_load(void **state)
{
	char path[320], err[256];
	json_t *doc = NULL;

	snprintf(path, sizeof(path), "%s/sandbox.json", dir);
	write_file(path, "{\"authz_url\": \"https://127.0.0.1:7443/\", \"admin\": {}}");
	assert_int_equal(porten_sandbox_load(path, &doc, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(doc, "authz_url")), "https://127.0.0.1:7443/");
	json_decref(doc);
	write_file(path, "{\"authz_url\": 1}");
	assert_int_equal(porten_sandbox_load(path, &doc, err, sizeof(err)), PORTEN_ERR_INVALID);
	write_file(path, "{\"authz_url\": \"a\", \"authz_url\": \"b\"}");
	assert_int_equal(porten_sandbox_load(path, &doc, err, sizeof(err)), PORTEN_ERR_INVALID);
	write_file(path, "not json");
	assert_int_equal(porten_sandbox_load(path, &doc, err, sizeof(err)), PORTEN_ERR_INVALID);
	assert_null(doc);
	unlink(path);
	assert_int_equal(porten_sandbox_load(path, &doc, err, sizeof(err)), PORTEN_ERR_IO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x5c_grant),
		cmocka_unit_test(test_x5c_chain_leaf_first),
		cmocka_unit_test(test_kid_grant),
		cmocka_unit_test(test_kid_from_private_jwk),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_grant_refusals),
		cmocka_unit_test(test_credential_errors),
		cmocka_unit_test(test_credentials_from_json),
		cmocka_unit_test(test_sandbox_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
