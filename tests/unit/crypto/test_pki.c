/* The test PKI: layout and modes, idempotent init, leaf profile, PKCS#12, server TLS,
 * self-signed JWKS certificates, PEM -> x5c. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/error.h"
#include "porten/key.h"
#include "porten/limits.h"
#include "porten/pki.h"
#include "porten/x509.h"

static char dir[] = "/tmp/porten-pki-XXXXXX";

static void
pathf(char *buf, size_t sz, const char *name)
{
	int n = snprintf(buf, sz, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < sz);
}

static char *
slurp(const char *name, size_t *len)
{
	char path[PATH_MAX], *data = NULL;
	size_t n = 0;

	pathf(path, sizeof(path), name);
	assert_int_equal(porten_file_read(path, PORTEN_FILE_MAX, &data, &n), 0);
	if (len != NULL)
		*len = n;
	return data;
}

static int
count_of(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static unsigned
mode_of(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	pathf(path, sizeof(path), name);
	assert_int_equal(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static X509 *
cert_of(const char *name)
{
	char *pem;
	size_t len;
	BIO *bio;
	X509 *x;

	pem = slurp(name, &len);
	bio = BIO_new_mem_buf(pem, (int)len);
	assert_non_null(bio);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);
	BIO_free(bio);
	free(pem);
	return x;
}

static int
group_setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	return porten_pki_init(dir) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_variant_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < PORTEN_PKI_VARIANT_COUNT; i++) {
		assert_non_null(porten_pki_variant_name((enum porten_pki_variant)i));
		assert_int_equal(porten_pki_variant_from_name(
		                     porten_pki_variant_name((enum porten_pki_variant)i)), i);
	}
	assert_string_equal(porten_pki_variant_name(PORTEN_PKI_VALID), "valid");
	assert_string_equal(porten_pki_variant_name(PORTEN_PKI_ORGNO_O), "orgno-o");
	assert_string_equal(porten_pki_variant_name(PORTEN_PKI_PROD_POLICY), "prod-policy");
	assert_int_equal(porten_pki_variant_from_name("not-yet-valid"), PORTEN_PKI_NOT_YET_VALID);
	assert_int_equal(porten_pki_variant_from_name("VALID"), -1);
	assert_int_equal(porten_pki_variant_from_name(""), -1);
	assert_int_equal(porten_pki_variant_from_name(NULL), -1);
	assert_null(porten_pki_variant_name(PORTEN_PKI_VARIANT_COUNT));
}

static void
test_init_layout(void **state)
{
	char *root1, *root2, *inter1, *inter2, *crl;
	X509 *root, *inter;

	(void)state;
	assert_int_equal(mode_of("root-key.pem"), 0600);
	assert_int_equal(mode_of("intermediate-key.pem"), 0600);
	assert_int_equal(mode_of("foreign-root-key.pem"), 0600);
	assert_int_equal(mode_of("root.pem"), 0644);
	assert_int_equal(mode_of("revoked.txt"), 0644);
	root1 = slurp("root.pem", NULL);
	inter1 = slurp("intermediate.pem", NULL);
	assert_int_equal(porten_pki_init(dir), 0);   /* idempotent */
	root2 = slurp("root.pem", NULL);
	inter2 = slurp("intermediate.pem", NULL);
	assert_string_equal(root1, root2);
	assert_string_equal(inter1, inter2);
	crl = slurp("crl.pem", NULL);
	assert_int_equal(count_of(crl, "BEGIN X509 CRL"), 2);

	root = cert_of("root.pem");
	inter = cert_of("intermediate.pem");
	assert_int_equal(X509_check_issued(root, inter), X509_V_OK);
	assert_int_equal(X509_check_ca(inter), 1);
	assert_true(X509_get_extension_flags(root) & EXFLAG_SS);
	X509_free(root);
	X509_free(inter);
	free(root1);
	free(root2);
	free(inter1);
	free(inter2);
	free(crl);
}

static int
has_entry(X509_NAME *n, int nid, const char *want)
{
	char buf[256];

	if (X509_NAME_get_text_by_NID(n, nid, buf, sizeof(buf)) < 0)
		return want == NULL;
	return want != NULL && strcmp(buf, want) == 0;
}

static void
test_leaf_profile(void **state)
{
	struct porten_pki_leaf leaf = {
		.orgno = "999888999", .org_name = "Acme AS", .variant = PORTEN_PKI_VALID,
	};
	char prefix[PATH_MAX], *chain;
	X509 *x, *inter;
	X509_NAME *n;
	CERTIFICATEPOLICIES *cp;
	char oid[64];
	int crit = -1, idx;

	(void)state;
	pathf(prefix, sizeof(prefix), "acme");
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), 0);
	assert_int_equal(mode_of("acme-key.pem"), 0600);
	assert_int_equal(mode_of("acme.pem"), 0644);
	x = cert_of("acme.pem");
	inter = cert_of("intermediate.pem");
	assert_int_equal(X509_check_issued(inter, x), X509_V_OK);
	n = X509_get_subject_name(x);
	assert_true(has_entry(n, NID_countryName, "NO"));
	assert_true(has_entry(n, NID_organizationName, "Acme AS"));
	assert_true(has_entry(n, NID_commonName, "Acme AS"));
	assert_true(has_entry(n, NID_organizationIdentifier, "NTRNO-999888999"));
	assert_true(has_entry(n, NID_serialNumber, "999888999"));
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	idx = X509_get_ext_by_NID(x, NID_key_usage, -1);
	assert_true(idx >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, idx)), 1);
	assert_int_equal(X509_check_ca(x), 0);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(X509_get0_authority_key_id(x));
	cp = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
	assert_non_null(cp);
	assert_int_equal(sk_POLICYINFO_num(cp), 1);
	OBJ_obj2txt(oid, sizeof(oid), sk_POLICYINFO_value(cp, 0)->policyid, 1);
	assert_string_equal(oid, PORTEN_PKI_TEST_POLICY);
	CERTIFICATEPOLICIES_free(cp);
	/* 16-byte positive serial */
	assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(x)), 16);
	assert_int_equal(ASN1_STRING_type(X509_get0_serialNumber(x)), V_ASN1_INTEGER);
	chain = slurp("acme-chain.pem", NULL);
	assert_int_equal(count_of(chain, "BEGIN CERTIFICATE"), 2);
	free(chain);
	X509_free(x);

	/* ORGNO_O: O carries the number, no serialNumber / organizationIdentifier */
	leaf.variant = PORTEN_PKI_ORGNO_O;
	pathf(prefix, sizeof(prefix), "acme-o");
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), 0);
	x = cert_of("acme-o.pem");
	n = X509_get_subject_name(x);
	assert_true(has_entry(n, NID_organizationName, "Acme AS - 999888999"));
	assert_true(has_entry(n, NID_serialNumber, NULL));
	assert_true(has_entry(n, NID_organizationIdentifier, NULL));
	X509_free(x);

	/* ORGNO_SERIAL */
	leaf.variant = PORTEN_PKI_ORGNO_SERIAL;
	pathf(prefix, sizeof(prefix), "acme-s");
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), 0);
	x = cert_of("acme-s.pem");
	n = X509_get_subject_name(x);
	assert_true(has_entry(n, NID_organizationName, "Acme AS"));
	assert_true(has_entry(n, NID_serialNumber, "999888999"));
	assert_true(has_entry(n, NID_organizationIdentifier, NULL));
	X509_free(x);

	/* NO_ORGNO needs no orgno */
	leaf.variant = PORTEN_PKI_NO_ORGNO;
	leaf.orgno = NULL;
	leaf.org_name = NULL;
	pathf(prefix, sizeof(prefix), "none");
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), 0);
	x = cert_of("none.pem");
	n = X509_get_subject_name(x);
	assert_true(has_entry(n, NID_organizationName, "Test Organisation"));
	assert_true(has_entry(n, NID_serialNumber, NULL));
	assert_true(has_entry(n, NID_organizationIdentifier, NULL));
	X509_free(x);

	/* SELF_SIGNED: chain is the leaf alone */
	leaf.variant = PORTEN_PKI_SELF_SIGNED;
	leaf.orgno = "999888999";
	pathf(prefix, sizeof(prefix), "self");
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), 0);
	x = cert_of("self.pem");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
	chain = slurp("self-chain.pem", NULL);
	assert_int_equal(count_of(chain, "BEGIN CERTIFICATE"), 1);
	free(chain);
	X509_free(x);
	X509_free(inter);
}

static void
test_issue_errors(void **state)
{
	struct porten_pki_leaf leaf = { .orgno = "12", .variant = PORTEN_PKI_VALID };
	char prefix[PATH_MAX];

	(void)state;
	pathf(prefix, sizeof(prefix), "bad");
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), PORTEN_ERR_INVALID);
	leaf.orgno = "12345678a";
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), PORTEN_ERR_INVALID);
	leaf.orgno = NULL;
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), PORTEN_ERR_INVALID);
	leaf.orgno = "123456789";
	leaf.variant = PORTEN_PKI_VARIANT_COUNT;
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), PORTEN_ERR_INVALID);
	leaf.variant = PORTEN_PKI_VALID;
	leaf.key_bits = 512;
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), PORTEN_ERR_INVALID);
	leaf.key_bits = 0;
	/* no PKI there */
	assert_int_equal(porten_pki_issue("/nonexistent/porten", &leaf, prefix), PORTEN_ERR_IO);
}

static void
test_revoked_updates_crl(void **state)
{
	struct porten_pki_leaf leaf = { .orgno = "999888999", .variant = PORTEN_PKI_REVOKED };
	char prefix[PATH_MAX], *revoked, *crl, *hex;
	BIGNUM *bn;
	X509 *x;

	(void)state;
	pathf(prefix, sizeof(prefix), "rev");
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), 0);
	x = cert_of("rev.pem");
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = BN_bn2hex(bn);
	revoked = slurp("revoked.txt", NULL);
	assert_non_null(strstr(revoked, hex));
	crl = slurp("crl.pem", NULL);
	assert_int_equal(count_of(crl, "BEGIN X509 CRL"), 2);
	/* a second revocation keeps the first */
	pathf(prefix, sizeof(prefix), "rev2");
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), 0);
	free(revoked);
	revoked = slurp("revoked.txt", NULL);
	assert_non_null(strstr(revoked, hex));
	OPENSSL_free(hex);
	BN_free(bn);
	free(revoked);
	free(crl);
	X509_free(x);
}

static void
test_p12(void **state)
{
	struct porten_pki_leaf leaf = {
		.orgno = "999888999", .variant = PORTEN_PKI_VALID, .p12_password = "s3cret",
	};
	char prefix[PATH_MAX], path[PATH_MAX], *pem, *cert_pem = NULL;
	char tp1[44], tp2[44];
	porten_key *key = NULL, *pub = NULL;

	(void)state;
	pathf(prefix, sizeof(prefix), "p12");
	assert_int_equal(porten_pki_issue(dir, &leaf, prefix), 0);
	assert_int_equal(mode_of("p12.p12"), 0600);
	pathf(path, sizeof(path), "p12.p12");
	assert_int_equal(porten_pki_read_p12(path, "s3cret", &key, &cert_pem), 0);
	assert_non_null(key);
	assert_true(porten_key_has_private(key));
	pem = slurp("p12.pem", NULL);
	assert_string_equal(cert_pem, pem);
	assert_int_equal(porten_key_from_pem(cert_pem, strlen(cert_pem), &pub), 0);
	assert_int_equal(porten_key_thumbprint(key, tp1), 0);
	assert_int_equal(porten_key_thumbprint(pub, tp2), 0);
	assert_string_equal(tp1, tp2);
	porten_key_unref(key);
	porten_key_unref(pub);
	free(cert_pem);
	free(pem);

	key = NULL;
	cert_pem = NULL;
	assert_int_equal(porten_pki_read_p12(path, "wrong", &key, &cert_pem), PORTEN_ERR_PASSWORD);
	assert_null(key);
	assert_null(cert_pem);
	assert_int_equal(porten_pki_read_p12(path, "", &key, &cert_pem), PORTEN_ERR_PASSWORD);
	pathf(path, sizeof(path), "p12.pem");   /* not PKCS#12 */
	assert_int_equal(porten_pki_read_p12(path, "s3cret", &key, &cert_pem), PORTEN_ERR_INVALID);
	pathf(path, sizeof(path), "missing.p12");
	assert_int_equal(porten_pki_read_p12(path, "s3cret", &key, &cert_pem), PORTEN_ERR_IO);
}

static void
test_pem_to_x5c(void **state)
{
	unsigned char der[PORTEN_X5C_CERT_MAX];
	const unsigned char *p = der;
	size_t len, dlen = 0;
	char *pem;
	json_t *x5c = NULL;
	X509 *x;

	(void)state;
	pem = slurp("acme-chain.pem", &len);
	assert_int_equal(porten_pki_pem_to_x5c(pem, len, &x5c), 0);
	assert_int_equal(json_array_size(x5c), 2);
	assert_int_equal(porten_b64std_decode(json_string_value(json_array_get(x5c, 1)),
	                                      json_string_length(json_array_get(x5c, 1)),
	                                      der, sizeof(der), &dlen), 0);
	x = d2i_X509(NULL, &p, (long)dlen);
	assert_non_null(x);
	assert_true(has_entry(X509_get_subject_name(x), NID_commonName, "porten Test Business CA"));
	X509_free(x);
	json_decref(x5c);
	free(pem);

	pem = slurp("revoked.txt", &len);
	assert_int_equal(porten_pki_pem_to_x5c(pem, len, &x5c), PORTEN_ERR_INVALID);
	assert_null(x5c);
	free(pem);
}

static void
test_self_signed_b64(void **state)
{
	unsigned char der[PORTEN_X5C_CERT_MAX];
	const unsigned char *p = der;
	porten_key *key = NULL, *pub = NULL;
	char *b64 = NULL, tp1[44], tp2[44];
	size_t dlen = 0;
	X509 *x;
	EVP_PKEY *pk;

	(void)state;
	assert_int_equal(porten_key_generate_rsa(2048, &key), 0);
	assert_int_equal(porten_pki_self_signed_b64(key, "porten signing key", 30, &b64), 0);
	assert_int_equal(porten_b64std_decode(b64, strlen(b64), der, sizeof(der), &dlen), 0);
	x = d2i_X509(NULL, &p, (long)dlen);
	assert_non_null(x);
	assert_true(has_entry(X509_get_subject_name(x), NID_commonName, "porten signing key"));
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
	pk = X509_get0_pubkey(x);
	assert_non_null(pk);
	assert_int_equal(porten_key_from_cert_der(der, dlen, &pub), 0);
	assert_int_equal(porten_key_thumbprint(key, tp1), 0);
	assert_int_equal(porten_key_thumbprint(pub, tp2), 0);
	assert_string_equal(tp1, tp2);
	X509_free(x);
	free(b64);
	porten_key_unref(pub);

	/* a public key cannot sign */
	pub = NULL;
	b64 = NULL;
	{
		char *ppem = NULL;

		assert_int_equal(porten_key_public_pem(key, &ppem), 0);
		assert_int_equal(porten_key_from_pem(ppem, strlen(ppem), &pub), 0);
		free(ppem);
	}
	assert_int_equal(porten_pki_self_signed_b64(pub, "x", 30, &b64), PORTEN_ERR_INVALID);
	assert_null(b64);
	porten_key_unref(pub);
	porten_key_unref(key);
}

static void
test_server_tls(void **state)
{
	char *cert = NULL, *key = NULL, *ca = NULL, *c1, *c2, tls[PATH_MAX];
	X509 *x;

	(void)state;
	assert_int_equal(porten_pki_server_tls(dir, NULL, &cert, &key, &ca), 0);
	assert_true(cert[0] == '/' && key[0] == '/' && ca[0] == '/');
	assert_non_null(strstr(cert, "/tls/server.pem"));
	assert_non_null(strstr(key, "/tls/server-key.pem"));
	assert_non_null(strstr(ca, "/tls/ca.pem"));
	assert_int_equal(mode_of("tls/server-key.pem"), 0600);
	assert_int_equal(mode_of("tls/ca-key.pem"), 0600);
	x = cert_of("tls/server.pem");
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
	assert_int_equal(X509_check_host(x, "example.test", 0, 0, NULL), 0);
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	X509_free(x);
	free(cert);
	free(key);
	free(ca);

	/* unchanged when nothing is missing */
	c1 = slurp("tls/server.pem", NULL);
	assert_int_equal(porten_pki_server_tls(dir, "localhost", NULL, NULL, NULL), 0);
	c2 = slurp("tls/server.pem", NULL);
	assert_string_equal(c1, c2);
	free(c2);

	/* a new host: reissued under the same CA */
	assert_int_equal(porten_pki_server_tls(dir, "porten.example.test", &cert, NULL, NULL), 0);
	free(cert);
	c2 = slurp("tls/server.pem", NULL);
	assert_string_not_equal(c1, c2);
	free(c1);
	free(c2);
	x = cert_of("tls/server.pem");
	assert_int_equal(X509_check_host(x, "porten.example.test", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	X509_free(x);
	assert_int_equal(porten_pki_server_tls(dir, "10.1.2.3", NULL, NULL, NULL), 0);
	x = cert_of("tls/server.pem");
	assert_int_equal(X509_check_ip_asc(x, "10.1.2.3", 0), 1);
	X509_free(x);
	assert_int_equal(porten_pki_server_tls(dir, "a,DNS:evil", NULL, NULL, NULL),
	                 PORTEN_ERR_INVALID);
	pathf(tls, sizeof(tls), "tls");
	assert_int_equal(access(tls, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variant_names),
		cmocka_unit_test(test_init_layout),
		cmocka_unit_test(test_leaf_profile),
		cmocka_unit_test(test_issue_errors),
		cmocka_unit_test(test_revoked_updates_crl),
		cmocka_unit_test(test_p12),
		cmocka_unit_test(test_pem_to_x5c),
		cmocka_unit_test(test_self_signed_b64),
		cmocka_unit_test(test_server_tls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
