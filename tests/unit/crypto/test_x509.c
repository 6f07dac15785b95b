/* x5c verification against a porten test PKI: every variant, chain completion, format
 * errors, the cache, organisation-number extraction order. */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/pki.h"
#include "porten/x509.h"

#define ORGNO "974760673"
#define YEAR_S (365 * 24 * 3600)

static char dir[] = "/tmp/porten-x509-XXXXXX";
static EVP_PKEY *scratch_key;   /* for hand-made certificates */
static char last_why[128];      /* reason of the last verify_name() */

/* <dir>/<name> */
static void
pathf(char *buf, size_t sz, const char *name)
{
	int n = snprintf(buf, sz, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < sz);
}

/* Issue <dir>/<name> with the given variant, orgno and organisation name. */
static void
issue(const char *name, enum porten_pki_variant v, const char *orgno, const char *org, int bits)
{
	struct porten_pki_leaf leaf = {
		.orgno = orgno, .org_name = org, .variant = v, .key_bits = bits,
	};
	char prefix[PATH_MAX];

	pathf(prefix, sizeof(prefix), name);
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), 0);
}

static json_t *
x5c_of(const char *name, int chain)
{
	char path[PATH_MAX], file[PATH_MAX], *pem = NULL;
	size_t len = 0;
	json_t *x5c = NULL;

	snprintf(file, sizeof(file), "%s%s", name, chain ? "-chain.pem" : ".pem");
	pathf(path, sizeof(path), file);
	assert_int_equal(porten_file_read(path, PORTEN_FILE_MAX, &pem, &len), 0);
	assert_int_equal(porten_pki_pem_to_x5c(pem, len, &x5c), 0);
	free(pem);
	return x5c;
}

enum { T_INTERMEDIATES = 1, T_CRL = 2 };

static porten_trust *
trust(const char *policies, int flags)
{
	porten_trust *t = NULL;
	char path[PATH_MAX];

	assert_int_equal(porten_trust_new(&t), 0);
	pathf(path, sizeof(path), "root.pem");
	assert_int_equal(porten_trust_add_anchors_file(t, path), 0);
	assert_int_equal(porten_trust_anchor_count(t), 1);
	if (flags & T_INTERMEDIATES) {
		pathf(path, sizeof(path), "intermediate.pem");
		assert_int_equal(porten_trust_add_intermediates_file(t, path), 0);
	}
	if (flags & T_CRL) {
		pathf(path, sizeof(path), "crl.pem");
		assert_int_equal(porten_trust_add_crl_file(t, path), 0);
	}
	if (policies != NULL)
		assert_int_equal(porten_trust_add_seid_policies(t, policies), 0);
	return t;
}

/* Verifies name's leaf-only and full-chain x5c; returns the result (both must agree) and
 * the orgno of a success. */
static int
verify_name(porten_trust *t, const char *name, int64_t now, char orgno[10])
{
	struct porten_cert_info ci;
	char why[128];
	json_t *x5c;
	int r1, r2;

	x5c = x5c_of(name, 0);
	r1 = porten_trust_verify_x5c(t, x5c, now, &ci, why, sizeof(why));
	snprintf(last_why, sizeof(last_why), "%s", why);
	if (r1 == 0) {
		assert_non_null(ci.leaf_key);
		assert_string_equal(why, "");
	} else {
		assert_null(ci.leaf_key);
		assert_true(why[0] != '\0');
	}
	if (orgno != NULL)
		snprintf(orgno, 10, "%s", ci.orgno);
	porten_cert_info_clear(&ci);
	json_decref(x5c);

	x5c = x5c_of(name, 1);
	r2 = porten_trust_verify_x5c(t, x5c, now, &ci, why, sizeof(why));
	porten_cert_info_clear(&ci);
	json_decref(x5c);
	assert_int_equal(r1, r2);
	return r1;
}

static int
group_setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	if (porten_pki_init(dir) != 0)
		return -1;
	issue("valid", PORTEN_PKI_VALID, ORGNO, NULL, 0);
	issue("nonrep", PORTEN_PKI_NONREPUDIATION, "991825827", NULL, 0);
	issue("serial", PORTEN_PKI_ORGNO_SERIAL, "123456789", NULL, 0);
	issue("o", PORTEN_PKI_ORGNO_O, "999888999", "Acme AS", 0);
	issue("expired", PORTEN_PKI_EXPIRED, ORGNO, NULL, 0);
	issue("nyv", PORTEN_PKI_NOT_YET_VALID, ORGNO, NULL, 0);
	issue("enc", PORTEN_PKI_ENCRYPTION_ONLY, ORGNO, NULL, 0);
	issue("self", PORTEN_PKI_SELF_SIGNED, ORGNO, NULL, 0);
	issue("foreign", PORTEN_PKI_FOREIGN_CA, ORGNO, NULL, 0);
	issue("revoked", PORTEN_PKI_REVOKED, ORGNO, NULL, 0);
	issue("noorg", PORTEN_PKI_NO_ORGNO, NULL, NULL, 0);
	issue("wrongpol", PORTEN_PKI_WRONG_POLICY, ORGNO, NULL, 0);
	issue("prodpol", PORTEN_PKI_PROD_POLICY, ORGNO, NULL, 0);
	issue("weak", PORTEN_PKI_VALID, ORGNO, NULL, 1024);
	/* serialNumber 222222222 and O "Both AS - 111111111": serialNumber wins. */
	issue("both", PORTEN_PKI_ORGNO_SERIAL, "222222222", "Both AS - 111111111", 0);
	scratch_key = EVP_RSA_gen(2048);
	return scratch_key != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	EVP_PKEY_free(scratch_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_accepted_variants(void **state)
{
	porten_trust *t = trust("test", T_INTERMEDIATES | T_CRL);
	int64_t now = porten_now();
	char orgno[10];

	(void)state;
	assert_int_equal(verify_name(t, "valid", now, orgno), 0);
	assert_string_equal(orgno, ORGNO);
	assert_int_equal(verify_name(t, "nonrep", now, orgno), 0);
	assert_string_equal(orgno, "991825827");
	assert_int_equal(verify_name(t, "serial", now, orgno), 0);
	assert_string_equal(orgno, "123456789");
	assert_int_equal(verify_name(t, "o", now, orgno), 0);
	assert_string_equal(orgno, "999888999");
	assert_int_equal(verify_name(t, "both", now, orgno), 0);
	assert_string_equal(orgno, "222222222");
	porten_trust_free(t);
}

static void
test_rejected_variants(void **state)
{
	porten_trust *t = trust("test", T_INTERMEDIATES | T_CRL);
	int64_t now = porten_now();
	static const struct {
		const char *name, *why;
	} cases[] = {
		{ "expired", "certificate has expired" },
		{ "nyv", "certificate is not yet valid" },
		{ "enc", "key usage allows neither digitalSignature nor nonRepudiation" },
		{ "self", "self-signed certificate" },
		{ "foreign", "unable to get local issuer certificate" },
		{ "revoked", "certificate revoked" },
		{ "noorg", "no organisation number in certificate" },
		{ "wrongpol", "certificate policy not accepted" },
		{ "weak", "rsa key size out of range" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(verify_name(t, cases[i].name, now, NULL), PORTEN_ERR_CERT);
		print_message("%s: %s\n", cases[i].name, last_why);
		assert_string_equal(last_why, cases[i].why);
	}
	porten_trust_free(t);
}

static void
test_revocation_needs_crl(void **state)
{
	porten_trust *t = trust("test", T_INTERMEDIATES);
	char orgno[10];

	(void)state;
	/* Without CRLs the revoked certificate is not known to be revoked. */
	assert_int_equal(verify_name(t, "revoked", porten_now(), orgno), 0);
	assert_string_equal(orgno, ORGNO);
	porten_trust_free(t);
}

static void
test_self_signed_anchor_refused(void **state)
{
	porten_trust *t = trust("test", T_INTERMEDIATES);
	char path[PATH_MAX];

	(void)state;
	pathf(path, sizeof(path), "self.pem");
	assert_int_equal(porten_trust_add_anchors_file(t, path), 0);
	assert_int_equal(porten_trust_anchor_count(t), 2);
	assert_int_equal(verify_name(t, "self", porten_now(), NULL), PORTEN_ERR_CERT);
	porten_trust_free(t);
}

static void
test_policies(void **state)
{
	porten_trust *t;
	int64_t now = porten_now();
	char orgno[10];

	(void)state;
	t = trust("prod", T_INTERMEDIATES | T_CRL);
	assert_int_equal(verify_name(t, "prodpol", now, orgno), 0);
	assert_string_equal(orgno, ORGNO);
	assert_int_equal(verify_name(t, "valid", now, NULL), PORTEN_ERR_CERT);
	porten_trust_free(t);

	t = trust("all", T_INTERMEDIATES | T_CRL);
	assert_int_equal(verify_name(t, "prodpol", now, NULL), 0);
	assert_int_equal(verify_name(t, "valid", now, NULL), 0);
	porten_trust_free(t);

	t = trust("test", T_INTERMEDIATES | T_CRL);
	assert_int_equal(verify_name(t, "prodpol", now, NULL), PORTEN_ERR_CERT);
	porten_trust_free(t);

	/* No policy configured: not checked. */
	t = trust(NULL, T_INTERMEDIATES | T_CRL);
	assert_int_equal(verify_name(t, "wrongpol", now, NULL), 0);
	porten_trust_free(t);

	/* Pattern semantics: exact, and ".*" strictly below. */
	t = trust(NULL, T_INTERMEDIATES);
	assert_int_equal(porten_trust_add_policy(t, "2.16.578.1.29.913.200.1"), 0);
	assert_int_equal(verify_name(t, "valid", now, NULL), PORTEN_ERR_CERT);
	porten_trust_free(t);
	t = trust(NULL, T_INTERMEDIATES);
	assert_int_equal(porten_trust_add_policy(t, "2.16.578.1.29.913.200.1.0"), 0);
	assert_int_equal(verify_name(t, "valid", now, NULL), 0);
	porten_trust_free(t);
	t = trust(NULL, T_INTERMEDIATES);
	assert_int_equal(porten_trust_add_policy(t, "2.16.578.1.29.913.200.1.0.*"), 0);
	assert_int_equal(verify_name(t, "valid", now, NULL), PORTEN_ERR_CERT);
	porten_trust_free(t);
	t = trust(NULL, T_INTERMEDIATES);
	assert_int_equal(porten_trust_add_policy(t, "2.16.578.1.29.913.2.*"), 0);
	assert_int_equal(verify_name(t, "valid", now, NULL), PORTEN_ERR_CERT);
	porten_trust_free(t);
	t = trust(NULL, T_INTERMEDIATES);
	assert_int_equal(porten_trust_add_policy(t, "2.16.578.1.29.913.*"), 0);
	assert_int_equal(verify_name(t, "valid", now, NULL), 0);
	porten_trust_free(t);

	assert_int_equal(porten_trust_new(&t), 0);
	assert_int_equal(porten_trust_add_policy(t, "1..2"), PORTEN_ERR_INVALID);
	assert_int_equal(porten_trust_add_policy(t, "*"), PORTEN_ERR_INVALID);
	assert_int_equal(porten_trust_add_policy(t, "1.2.*.3"), PORTEN_ERR_INVALID);
	assert_int_equal(porten_trust_add_policy(t, "1.2."), PORTEN_ERR_INVALID);
	assert_int_equal(porten_trust_add_seid_policies(t, "staging"), PORTEN_ERR_INVALID);
	porten_trust_free(t);
}

static void
test_chain_completion(void **state)
{
	porten_trust *t = trust("test", T_CRL);
	struct porten_cert_info ci;
	json_t *x5c;

	(void)state;
	/* Without configured intermediates only the full chain builds. */
	x5c = x5c_of("valid", 1);
	assert_int_equal(json_array_size(x5c), 2);
	assert_int_equal(porten_trust_verify_x5c(t, x5c, porten_now(), &ci, NULL, 0), 0);
	assert_string_equal(ci.orgno, ORGNO);
	assert_true(porten_key_is_rsa(ci.leaf_key));
	assert_int_equal(porten_key_bits(ci.leaf_key), 2048);
	assert_false(porten_key_has_private(ci.leaf_key));
	assert_non_null(strstr(ci.subject, "CN=Test Organisation"));
	assert_int_equal(strlen(ci.serial_hex), 32);
	assert_true(ci.not_before < porten_now() && ci.not_after > porten_now());
	porten_cert_info_clear(&ci);
	json_decref(x5c);

	x5c = x5c_of("valid", 0);
	assert_int_equal(json_array_size(x5c), 1);
	assert_int_equal(porten_trust_verify_x5c(t, x5c, porten_now(), &ci, NULL, 0),
	                 PORTEN_ERR_CERT);
	json_decref(x5c);
	porten_trust_free(t);
}

static void
test_invalid_format(void **state)
{
	porten_trust *t = trust("test", T_INTERMEDIATES | T_CRL);
	struct porten_cert_info ci;
	json_t *x5c, *leaf, *six;
	char why[128];
	int64_t now = porten_now();
	int i;

	(void)state;
	leaf = x5c_of("valid", 0);

	x5c = json_string(json_string_value(json_array_get(leaf, 0)));
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &ci, why, sizeof(why)),
	                 PORTEN_ERR_INVALID);
	assert_string_equal(why, "x5c is not an array");
	json_decref(x5c);

	x5c = json_array();
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &ci, NULL, 0), PORTEN_ERR_INVALID);
	json_array_append_new(x5c, json_integer(1));
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &ci, NULL, 0), PORTEN_ERR_INVALID);
	json_decref(x5c);

	x5c = json_pack("[s]", "@@@@");
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &ci, NULL, 0), PORTEN_ERR_INVALID);
	json_decref(x5c);

	/* url-safe alphabet / missing padding: not standard base64 */
	x5c = json_pack("[s]", "aGVsbG8-_w");
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &ci, NULL, 0), PORTEN_ERR_INVALID);
	json_decref(x5c);

	x5c = json_pack("[s]", "aGVsbG8gd29ybGQh");   /* "hello world!" */
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &ci, why, sizeof(why)),
	                 PORTEN_ERR_INVALID);
	assert_string_equal(why, "x5c element is not a der certificate");
	json_decref(x5c);

	/* valid leaf followed by garbage */
	x5c = json_pack("[O,s]", json_array_get(leaf, 0), "aGVsbG8gd29ybGQh");
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &ci, NULL, 0), PORTEN_ERR_INVALID);
	json_decref(x5c);

	six = json_array();
	for (i = 0; i < PORTEN_X5C_CERTS_MAX + 1; i++)
		json_array_append(six, json_array_get(leaf, 0));
	assert_int_equal(porten_trust_verify_x5c(t, six, now, &ci, NULL, 0), PORTEN_ERR_INVALID);
	assert_null(ci.leaf_key);
	/* five copies of the leaf: well-formed, but not a chain that verifies as more */
	json_array_remove(six, 0);
	assert_int_equal(json_array_size(six), PORTEN_X5C_CERTS_MAX);
	assert_int_equal(porten_trust_verify_x5c(t, six, now, &ci, NULL, 0), 0);
	porten_cert_info_clear(&ci);
	json_decref(six);
	json_decref(leaf);
	porten_trust_free(t);
}

static void
test_cache(void **state)
{
	porten_trust *t = trust("test", T_INTERMEDIATES | T_CRL);
	struct porten_cert_info a, b;
	json_t *x5c = x5c_of("valid", 0), *copy;
	char why[128];
	int64_t now = porten_now();
	int i;

	(void)state;
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &a, NULL, 0), 0);
	copy = json_deep_copy(x5c);
	assert_int_equal(porten_trust_verify_x5c(t, copy, now, &b, NULL, 0), 0);
	assert_ptr_equal(a.leaf_key, b.leaf_key);   /* the cached key */
	assert_string_equal(a.orgno, b.orgno);
	assert_string_equal(a.subject, b.subject);
	assert_string_equal(a.serial_hex, b.serial_hex);
	assert_true(a.not_before == b.not_before && a.not_after == b.not_after);
	porten_cert_info_clear(&b);

	/* the cache keeps the validity period */
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now + 4 * (int64_t)YEAR_S, &b, why,
	                                         sizeof(why)), PORTEN_ERR_CERT);
	assert_string_equal(why, "certificate has expired");
	assert_null(b.leaf_key);
	assert_int_equal(porten_trust_verify_x5c(t, x5c, a.not_after, &b, NULL, 0),
	                 PORTEN_ERR_CERT);
	assert_int_equal(porten_trust_verify_x5c(t, x5c, a.not_after - 1, &b, NULL, 0), 0);
	porten_cert_info_clear(&b);
	assert_int_equal(porten_trust_verify_x5c(t, x5c, a.not_before - 1, &b, NULL, 0),
	                 PORTEN_ERR_CERT);
	assert_int_equal(porten_trust_verify_x5c(t, x5c, a.not_before, &b, NULL, 0), 0);
	porten_cert_info_clear(&b);
	for (i = 0; i < 3; i++) {
		assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &b, NULL, 0), 0);
		assert_ptr_equal(a.leaf_key, b.leaf_key);
		porten_cert_info_clear(&b);
	}
	porten_cert_info_clear(&a);
	json_decref(copy);
	porten_trust_free(t);

	/* a cold cache says the same */
	t = trust("test", T_INTERMEDIATES | T_CRL);
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now + 4 * (int64_t)YEAR_S, &b, NULL, 0),
	                 PORTEN_ERR_CERT);
	/* failures are not cached */
	assert_int_equal(porten_trust_verify_x5c(t, x5c, now, &b, NULL, 0), 0);
	porten_cert_info_clear(&b);
	json_decref(x5c);
	porten_trust_free(t);
}

struct thread_arg {
	porten_trust *t;
	json_t *x5c[3];
	int failures;
};

static void *
thread_main(void *p)
{
	struct thread_arg *arg = p;
	struct porten_cert_info ci;
	int64_t now = porten_now();
	int i, r;

	for (i = 0; i < 60; i++) {
		r = porten_trust_verify_x5c(arg->t, arg->x5c[i % 3], now, &ci, NULL, 0);
		if ((i % 3 == 2) != (r == PORTEN_ERR_CERT) || (r == 0 && ci.leaf_key == NULL))
			__atomic_add_fetch(&arg->failures, 1, __ATOMIC_RELAXED);
		porten_cert_info_clear(&ci);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct thread_arg arg = { .t = trust("test", T_INTERMEDIATES | T_CRL) };
	pthread_t th[8];
	int i;

	(void)state;
	arg.x5c[0] = x5c_of("valid", 0);
	arg.x5c[1] = x5c_of("nonrep", 1);
	arg.x5c[2] = x5c_of("revoked", 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &arg), 0);
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(arg.failures, 0);
	for (i = 0; i < 3; i++)
		json_decref(arg.x5c[i]);
	porten_trust_free(arg.t);
}

/* A hand-made certificate with the given subject attributes (NULL: absent), as DER. */
static unsigned char *
make_der(const char *serial, const char *o, const char *oi, size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL, *copy;
	int dlen;

	assert_non_null(x);
	assert_non_null(n);
	X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	                           (const unsigned char *)"x", -1, -1, 0);
	if (serial != NULL)
		X509_NAME_add_entry_by_NID(n, NID_serialNumber, MBSTRING_UTF8,
		                           (const unsigned char *)serial, -1, -1, 0);
	if (o != NULL)
		X509_NAME_add_entry_by_NID(n, NID_organizationName, MBSTRING_UTF8,
		                           (const unsigned char *)o, -1, -1, 0);
	if (oi != NULL)
		X509_NAME_add_entry_by_NID(n, NID_organizationIdentifier, MBSTRING_UTF8,
		                           (const unsigned char *)oi, -1, -1, 0);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, scratch_key);
	assert_true(X509_sign(x, scratch_key, EVP_sha256()) > 0);
	dlen = i2d_X509(x, &der);
	assert_true(dlen > 0);
	copy = malloc((size_t)dlen);
	memcpy(copy, der, (size_t)dlen);
	*len = (size_t)dlen;
	OPENSSL_free(der);
	X509_NAME_free(n);
	X509_free(x);
	return copy;
}

static int
orgno_of(const char *serial, const char *o, const char *oi, char orgno[10])
{
	unsigned char *der;
	size_t len;
	int r;

	der = make_der(serial, o, oi, &len);
	r = porten_cert_orgno_from_der(der, len, orgno);
	free(der);
	return r;
}

static void
test_orgno_order(void **state)
{
	char orgno[10];

	(void)state;
	/* 1. serialNumber of exactly 9 digits wins over O and organizationIdentifier */
	assert_int_equal(orgno_of("111111111", "Acme - 222222222", "NTRNO-333333333", orgno), 0);
	assert_string_equal(orgno, "111111111");
	/* 2. then O ending "- 9 digits" */
	assert_int_equal(orgno_of("11111111", "Acme - 222222222", "NTRNO-333333333", orgno), 0);
	assert_string_equal(orgno, "222222222");
	assert_int_equal(orgno_of(NULL, "Acme AS-222222222", NULL, orgno), 0);
	assert_string_equal(orgno, "222222222");
	assert_int_equal(orgno_of(NULL, "Acme AS -  (222222222", NULL, orgno), 0);
	assert_string_equal(orgno, "222222222");
	/* 3. then organizationIdentifier */
	assert_int_equal(orgno_of(NULL, "Acme AS", "NTRNO-333333333", orgno), 0);
	assert_string_equal(orgno, "333333333");
	assert_int_equal(orgno_of(NULL, NULL, "PSDNO-FSA-991825827", orgno), 0);
	assert_string_equal(orgno, "991825827");
	assert_int_equal(orgno_of(NULL, NULL, "991825827", orgno), 0);
	assert_string_equal(orgno, "991825827");
	/* O of bare digits is not the O form (needs "<something>-") */
	assert_int_equal(orgno_of(NULL, "222222222", NULL, orgno), PORTEN_ERR_NOT_FOUND);
	assert_string_equal(orgno, "");
	assert_int_equal(orgno_of(NULL, "-222222222", NULL, orgno), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(orgno_of(NULL, "Acme - 2222222220", NULL, orgno), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(orgno_of(NULL, "Acme - x222222222", NULL, orgno), PORTEN_ERR_NOT_FOUND);
	assert_int_equal(orgno_of("22222222a", "Acme", "NTRNO-12345678", orgno),
	                 PORTEN_ERR_NOT_FOUND);
	assert_int_equal(orgno_of(NULL, NULL, NULL, orgno), PORTEN_ERR_NOT_FOUND);
	/* not DER */
	assert_int_equal(porten_cert_orgno_from_der((const unsigned char *)"abc", 3, orgno),
	                 PORTEN_ERR_NOT_FOUND);
}

static void
test_trust_files(void **state)
{
	porten_trust *t = NULL;
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(porten_trust_new(&t), 0);
	assert_int_equal(porten_trust_anchor_count(t), 0);
	pathf(path, sizeof(path), "missing.pem");
	assert_int_equal(porten_trust_add_anchors_file(t, path), PORTEN_ERR_IO);
	assert_int_equal(porten_trust_add_crl_file(t, path), PORTEN_ERR_IO);
	pathf(path, sizeof(path), "revoked.txt");   /* not PEM */
	assert_int_equal(porten_trust_add_anchors_file(t, path), PORTEN_ERR_INVALID);
	pathf(path, sizeof(path), "valid-key.pem");   /* PEM, but no certificate */
	assert_int_equal(porten_trust_add_anchors_file(t, path), PORTEN_ERR_INVALID);
	assert_int_equal(porten_trust_add_crl_file(t, path), PORTEN_ERR_INVALID);
	pathf(path, sizeof(path), "valid-chain.pem");
	assert_int_equal(porten_trust_add_anchors_file(t, path), 0);
	assert_int_equal(porten_trust_anchor_count(t), 2);
	porten_trust_free(t);
	porten_trust_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted_variants),
		cmocka_unit_test(test_rejected_variants),
		cmocka_unit_test(test_revocation_needs_crl),
		cmocka_unit_test(test_self_signed_anchor_refused),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_chain_completion),
		cmocka_unit_test(test_invalid_format),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_orgno_order),
		cmocka_unit_test(test_trust_files),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
