/* A test PKI (porten pki): root and intermediate CAs, a foreign root, CRLs and enterprise
 * certificates in the SEID 2.0 profile with deliberately broken variants; the local TLS CA
 * and server certificate; PKCS#12 and x5c helpers. Everything cryptographic is OpenSSL's. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/clock.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/pki.h"
#include "crypto/key_internal.h"

#define DAY_S            86400
#define CA_BITS          2048
#define ROOT_DAYS        (20 * 365)
#define INTERMEDIATE_DAYS (10 * 365)
#define CA_BACKDATE_S    (30 * DAY_S)
#define CRL_BACKDATE_S   DAY_S
#define CRL_DAYS         3650
#define LEAF_BACKDATE_S  3600
#define LEAF_DAYS        1095
#define LEAF_BITS_MIN    1024
#define LEAF_DAYS_MAX    36500
#define TLS_CA_DAYS      3650
#define TLS_SERVER_DAYS  825
#define WRONG_POLICY     "1.2.3.4.5"
#define PROD_POLICY      "2.16.578.1.29.13.200.1.0"
#define REVOKED_MAX      (1024 * 1024)

static const char *const variant_names[PORTEN_PKI_VARIANT_COUNT] = {
	[PORTEN_PKI_VALID] = "valid",
	[PORTEN_PKI_NONREPUDIATION] = "nonrepudiation",
	[PORTEN_PKI_ORGNO_SERIAL] = "orgno-serial",
	[PORTEN_PKI_ORGNO_O] = "orgno-o",
	[PORTEN_PKI_EXPIRED] = "expired",
	[PORTEN_PKI_NOT_YET_VALID] = "not-yet-valid",
	[PORTEN_PKI_ENCRYPTION_ONLY] = "encryption-only",
	[PORTEN_PKI_SELF_SIGNED] = "self-signed",
	[PORTEN_PKI_FOREIGN_CA] = "foreign-ca",
	[PORTEN_PKI_REVOKED] = "revoked",
	[PORTEN_PKI_NO_ORGNO] = "no-orgno",
	[PORTEN_PKI_WRONG_POLICY] = "wrong-policy",
	[PORTEN_PKI_PROD_POLICY] = "prod-policy",
};

const char *
porten_pki_variant_name(enum porten_pki_variant v)
{
	if ((int)v < 0 || v >= PORTEN_PKI_VARIANT_COUNT)
		return NULL;
	return variant_names[v];
}

int
porten_pki_variant_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < PORTEN_PKI_VARIANT_COUNT; i++)
		if (strcmp(name, variant_names[i]) == 0)
			return i;
	return -1;
}

/* ---- small helpers ---- */

static int
path_join(char *buf, size_t sz, const char *dir, const char *name)
{
	int n = snprintf(buf, sz, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= sz ? PORTEN_ERR_TOO_LARGE : 0;
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
nine_digits(const char *s)
{
	int i;

	if (s == NULL || strlen(s) != 9)
		return 0;
	for (i = 0; i < 9; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Writes the contents of a memory BIO to path atomically. */
static int
write_bio(const char *path, BIO *bio, unsigned mode)
{
	char *data = NULL;
	long n;

	n = BIO_get_mem_data(bio, &data);
	if (n < 0 || data == NULL)
		return PORTEN_ERR_CRYPTO;
	return porten_file_write_atomic(path, data, (size_t)n, mode);
}

static int
write_certs(const char *path, X509 *const *xs, size_t n)
{
	BIO *bio = NULL;
	size_t i;
	int r = PORTEN_ERR_NOMEM;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	for (i = 0; i < n; i++)
		if (xs[i] != NULL && PEM_write_bio_X509(bio, xs[i]) != 1)
			goto out;
	r = write_bio(path, bio, 0644);
out:
	BIO_free(bio);
	return r;
}

/* Private key as unencrypted PKCS#8 PEM, mode 0600; the buffer is secure memory, wiped
 * when freed. */
static int
write_key(const char *path, EVP_PKEY *pk)
{
	BIO *bio = NULL;
	int r = PORTEN_ERR_NOMEM;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	r = write_bio(path, bio, 0600);
out:
	BIO_free(bio);
	return r;
}

static int
no_password_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static int
load_cert(const char *path, X509 **out)
{
	BIO *bio = NULL;
	int r = PORTEN_ERR_IO;

	*out = NULL;
	if ((bio = BIO_new_file(path, "r")) == NULL)
		goto out;
	r = PORTEN_ERR_INVALID;
	if ((*out = PEM_read_bio_X509(bio, NULL, no_password_cb, NULL)) == NULL)
		goto out;
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

static int
load_key(const char *path, EVP_PKEY **out)
{
	BIO *bio = NULL;
	int r = PORTEN_ERR_IO;

	*out = NULL;
	if ((bio = BIO_new_file(path, "r")) == NULL)
		goto out;
	r = PORTEN_ERR_INVALID;
	if ((*out = PEM_read_bio_PrivateKey(bio, NULL, no_password_cb, NULL)) == NULL)
		goto out;
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

static int
load_pair(const char *dir, const char *cert_name, const char *key_name, X509 **cert,
          EVP_PKEY **key)
{
	char path[PATH_MAX];
	int r;

	*cert = NULL;
	*key = NULL;
	if ((r = path_join(path, sizeof(path), dir, cert_name)) != 0 ||
	    (r = load_cert(path, cert)) != 0)
		goto out;
	if ((r = path_join(path, sizeof(path), dir, key_name)) != 0 ||
	    (r = load_key(path, key)) != 0)
		goto out;
	r = PORTEN_ERR_INVALID;
	if (X509_check_private_key(*cert, *key) != 1)
		goto out;
	r = 0;
out:
	if (r != 0) {
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
	}
	ERR_clear_error();
	return r;
}

static int
gen_rsa(int bits, EVP_PKEY **out)
{
	*out = EVP_RSA_gen((unsigned int)bits);
	return *out != NULL ? 0 : PORTEN_ERR_CRYPTO;
}

/* Server TLS uses P-256: generated in microseconds where an RSA key takes a tenth of a
 * second or more (porten up's start), and a cheaper handshake. Grants and tokens stay RSA
 * (Maskinporten accepts RS256/384/512 only); the SEID test CAs stay RSA like the real. */
static int
gen_ec(EVP_PKEY **out)
{
	*out = EVP_EC_gen("P-256");
	return *out != NULL ? 0 : PORTEN_ERR_CRYPTO;
}

/* 16 random bytes, positive, always 16 bytes long. */
static int
set_random_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn = NULL;
	int r = PORTEN_ERR_CRYPTO;

	if (RAND_bytes(b, sizeof(b)) != 1)
		goto out;
	b[0] = (unsigned char)((b[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) == NULL)
		goto out;
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	r = 0;
out:
	BN_free(bn);
	return r;
}

static int
set_validity(X509 *x, int64_t nb, int64_t na)
{
	if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) == NULL)
		return PORTEN_ERR_CRYPTO;
	return 0;
}

/* issuer NULL: x is its own issuer. */
static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509_EXTENSION *ext = NULL;
	X509V3_CTX ctx;
	int r = PORTEN_ERR_CRYPTO;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		goto out;
	if (X509_add_ext(x, ext, -1) != 1)
		goto out;
	r = 0;
out:
	X509_EXTENSION_free(ext);
	return r;
}

/* certificatePolicies with one policy OID and no qualifiers (the string form of
 * X509V3_EXT_conf_nid needs a config database). */
static int
add_policy(X509 *x, const char *oid)
{
	CERTIFICATEPOLICIES *cp = NULL;
	POLICYINFO *pi = NULL;
	int r = PORTEN_ERR_NOMEM;

	if ((cp = CERTIFICATEPOLICIES_new()) == NULL || (pi = POLICYINFO_new()) == NULL)
		goto out;
	r = PORTEN_ERR_INVALID;
	ASN1_OBJECT_free(pi->policyid);
	if ((pi->policyid = OBJ_txt2obj(oid, 1)) == NULL)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if (!sk_POLICYINFO_push(cp, pi))
		goto out;
	pi = NULL;
	r = PORTEN_ERR_CRYPTO;
	if (X509_add1_ext_i2d(x, NID_certificate_policies, cp, 0, 0) != 1)
		goto out;
	r = 0;
out:
	POLICYINFO_free(pi);
	CERTIFICATEPOLICIES_free(cp);
	return r;
}

static int
name_add(X509_NAME *n, int nid, const char *value)
{
	return X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8, (const unsigned char *)value,
	                                  -1, -1, 0) == 1 ? 0 : PORTEN_ERR_CRYPTO;
}

/* A CA certificate: C=NO, O=porten, CN=cn. issuer NULL makes a self-signed root.
 * pathlen < 0: unlimited. */
static int
make_ca(const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int days, int pathlen, int ec,
        X509 **cert_out, EVP_PKEY **key_out)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	EVP_PKEY *pk = NULL;
	int64_t now = porten_now();
	const char *bc = pathlen < 0 ? "critical,CA:TRUE" : "critical,CA:TRUE,pathlen:0";
	int r;

	*cert_out = NULL;
	*key_out = NULL;
	if ((r = ec ? gen_ec(&pk) : gen_rsa(CA_BITS, &pk)) != 0)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL)
		goto out;
	if ((r = name_add(name, NID_countryName, "NO")) != 0 ||
	    (r = name_add(name, NID_organizationName, "porten")) != 0 ||
	    (r = name_add(name, NID_commonName, cn)) != 0)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1 ||
	    X509_set_pubkey(x, pk) != 1)
		goto out;
	if ((r = set_random_serial(x)) != 0 ||
	    (r = set_validity(x, now - CA_BACKDATE_S, now + (int64_t)days * DAY_S)) != 0)
		goto out;
	if ((r = add_ext(x, issuer, NID_basic_constraints, bc)) != 0 ||
	    (r = add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign")) != 0 ||
	    (r = add_ext(x, issuer, NID_subject_key_identifier, "hash")) != 0 ||
	    (r = add_ext(x, issuer, NID_authority_key_identifier, "keyid:always")) != 0)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (X509_sign(x, issuer_key != NULL ? issuer_key : pk, EVP_sha256()) <= 0)
		goto out;
	*cert_out = x;
	*key_out = pk;
	x = NULL;
	pk = NULL;
	r = 0;
out:
	ERR_clear_error();
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(pk);
	return r;
}

static int
write_pair(const char *dir, const char *cert_name, const char *key_name, X509 *cert,
           EVP_PKEY *key)
{
	char path[PATH_MAX];
	int r;

	/* Key first: a certificate on disk implies its key is there too. */
	if ((r = path_join(path, sizeof(path), dir, key_name)) != 0 ||
	    (r = write_key(path, key)) != 0)
		return r;
	if ((r = path_join(path, sizeof(path), dir, cert_name)) != 0 ||
	    (r = write_certs(path, &cert, 1)) != 0)
		return r;
	return 0;
}

/* ---- CRLs ---- */

/* revoked.txt: one hex serial per line. */
static int
read_revoked(const char *dir, STACK_OF(ASN1_INTEGER) *out)
{
	char path[PATH_MAX], *data = NULL, *line, *save = NULL;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	size_t len = 0;
	int r;

	if ((r = path_join(path, sizeof(path), dir, "revoked.txt")) != 0)
		goto out;
	r = porten_file_read(path, REVOKED_MAX, &data, &len);
	if (r == PORTEN_ERR_NOT_FOUND) {
		r = 0;
		goto out;
	}
	if (r != 0)
		goto out;
	for (line = strtok_r(data, "\r\n", &save); line != NULL;
	     line = strtok_r(NULL, "\r\n", &save)) {
		if (*line == '\0' || *line == '#')
			continue;
		r = PORTEN_ERR_INVALID;
		if (BN_hex2bn(&bn, line) != (int)strlen(line))
			goto out;
		r = PORTEN_ERR_CRYPTO;
		if ((ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
			goto out;
		r = PORTEN_ERR_NOMEM;
		if (!sk_ASN1_INTEGER_push(out, ai))
			goto out;
		ai = NULL;
		BN_free(bn);
		bn = NULL;
	}
	r = 0;
out:
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	free(data);
	return r;
}

static int
make_crl(X509 *ca, EVP_PKEY *ca_key, STACK_OF(ASN1_INTEGER) *serials, X509_CRL **out)
{
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	X509_EXTENSION *ext = NULL;
	ASN1_TIME *last = NULL, *next = NULL;
	ASN1_INTEGER *num = NULL;
	X509V3_CTX ctx;
	int64_t now = porten_now();
	int r = PORTEN_ERR_NOMEM, i;

	*out = NULL;
	if ((crl = X509_CRL_new()) == NULL || (num = ASN1_INTEGER_new()) == NULL)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if ((last = ASN1_TIME_set(NULL, (time_t)(now - CRL_BACKDATE_S))) == NULL ||
	    (next = ASN1_TIME_set(NULL, (time_t)(now + (int64_t)CRL_DAYS * DAY_S))) == NULL)
		goto out;
	if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, last) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, next) != 1)
		goto out;
	for (i = 0; i < sk_ASN1_INTEGER_num(serials); i++) {
		if ((rev = X509_REVOKED_new()) == NULL ||
		    X509_REVOKED_set_serialNumber(rev, sk_ASN1_INTEGER_value(serials, i)) != 1 ||
		    X509_REVOKED_set_revocationDate(rev, last) != 1 ||
		    X509_CRL_add0_revoked(crl, rev) != 1)
			goto out;
		rev = NULL;
	}
	if (X509_CRL_sort(crl) != 1)
		goto out;
	if (ASN1_INTEGER_set_int64(num, now) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
	                               "keyid:always")) == NULL ||
	    X509_CRL_add_ext(crl, ext, -1) != 1)
		goto out;
	if (X509_CRL_sign(crl, ca_key, EVP_sha256()) <= 0)
		goto out;
	*out = crl;
	crl = NULL;
	r = 0;
out:
	ERR_clear_error();
	X509_EXTENSION_free(ext);
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return r;
}

/* crl.pem: the root's CRL (over the intermediate, empty) and the intermediate's CRL
 * (the serials of revoked.txt); CRL_CHECK_ALL needs both. */
static int
write_crls(const char *dir)
{
	STACK_OF(ASN1_INTEGER) *none = NULL, *revoked = NULL;
	X509 *root = NULL, *inter = NULL;
	EVP_PKEY *root_key = NULL, *inter_key = NULL;
	X509_CRL *root_crl = NULL, *inter_crl = NULL;
	BIO *bio = NULL;
	char path[PATH_MAX];
	int r = PORTEN_ERR_NOMEM;

	if ((none = sk_ASN1_INTEGER_new_null()) == NULL ||
	    (revoked = sk_ASN1_INTEGER_new_null()) == NULL)
		goto out;
	if ((r = load_pair(dir, "root.pem", "root-key.pem", &root, &root_key)) != 0 ||
	    (r = load_pair(dir, "intermediate.pem", "intermediate-key.pem", &inter,
	                   &inter_key)) != 0)
		goto out;
	if ((r = read_revoked(dir, revoked)) != 0)
		goto out;
	if ((r = make_crl(root, root_key, none, &root_crl)) != 0 ||
	    (r = make_crl(inter, inter_key, revoked, &inter_crl)) != 0)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (PEM_write_bio_X509_CRL(bio, root_crl) != 1 ||
	    PEM_write_bio_X509_CRL(bio, inter_crl) != 1)
		goto out;
	if ((r = path_join(path, sizeof(path), dir, "crl.pem")) != 0)
		goto out;
	r = write_bio(path, bio, 0644);
out:
	ERR_clear_error();
	BIO_free(bio);
	X509_CRL_free(root_crl);
	X509_CRL_free(inter_crl);
	X509_free(root);
	X509_free(inter);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(inter_key);
	sk_ASN1_INTEGER_pop_free(none, ASN1_INTEGER_free);
	sk_ASN1_INTEGER_pop_free(revoked, ASN1_INTEGER_free);
	return r;
}

static int
append_revoked(const char *dir, X509 *x)
{
	struct porten_buf b;
	char path[PATH_MAX], *data = NULL, *hex = NULL;
	BIGNUM *bn = NULL;
	size_t len = 0;
	int r;

	porten_buf_init(&b, REVOKED_MAX);
	if ((r = path_join(path, sizeof(path), dir, "revoked.txt")) != 0)
		goto out;
	r = porten_file_read(path, REVOKED_MAX, &data, &len);
	if (r != 0 && r != PORTEN_ERR_NOT_FOUND)
		goto out;
	if (data != NULL && (r = porten_buf_append(&b, data, len)) != 0)
		goto out;
	if (b.len > 0 && b.data[b.len - 1] != '\n' && (r = porten_buf_appends(&b, "\n")) != 0)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL)
		goto out;
	if ((r = porten_buf_appendf(&b, "%s\n", hex)) != 0)
		goto out;
	r = porten_file_write_atomic(path, b.data, b.len, 0644);
out:
	OPENSSL_free(hex);
	BN_free(bn);
	free(data);
	porten_buf_release(&b);
	return r;
}

/* ---- init ---- */

static int
have_pair(const char *dir, const char *cert_name, const char *key_name)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (path_join(a, sizeof(a), dir, cert_name) != 0 ||
	    path_join(b, sizeof(b), dir, key_name) != 0)
		return 0;
	return file_exists(a) && file_exists(b);
}

int
porten_pki_init(const char *dir)
{
	X509 *root = NULL, *inter = NULL, *foreign = NULL;
	EVP_PKEY *root_key = NULL, *inter_key = NULL, *foreign_key = NULL;
	char path[PATH_MAX];
	int r, fresh_root = 0, fresh_inter = 0;

	if (dir == NULL || *dir == '\0')
		return PORTEN_ERR_INVALID;
	if ((r = porten_mkdirs(dir, 0755)) != 0)
		goto out;
	if (!have_pair(dir, "root.pem", "root-key.pem")) {
		if ((r = make_ca("porten Test Root CA", NULL, NULL, ROOT_DAYS, -1, 0, &root,
		                 &root_key)) != 0 ||
		    (r = write_pair(dir, "root.pem", "root-key.pem", root, root_key)) != 0)
			goto out;
		fresh_root = 1;
	} else if ((r = load_pair(dir, "root.pem", "root-key.pem", &root, &root_key)) != 0) {
		goto out;
	}
	if (fresh_root || !have_pair(dir, "intermediate.pem", "intermediate-key.pem")) {
		if ((r = make_ca("porten Test Business CA", root, root_key, INTERMEDIATE_DAYS, 0, 0,
		                 &inter, &inter_key)) != 0 ||
		    (r = write_pair(dir, "intermediate.pem", "intermediate-key.pem", inter,
		                    inter_key)) != 0)
			goto out;
		fresh_inter = 1;
	}
	if (!have_pair(dir, "foreign-root.pem", "foreign-root-key.pem")) {
		if ((r = make_ca("porten Foreign Root CA", NULL, NULL, ROOT_DAYS, -1, 1, &foreign,
		                 &foreign_key)) != 0 ||
		    (r = write_pair(dir, "foreign-root.pem", "foreign-root-key.pem", foreign,
		                    foreign_key)) != 0)
			goto out;
	}
	if ((r = path_join(path, sizeof(path), dir, "revoked.txt")) != 0)
		goto out;
	/* A new intermediate starts with nothing revoked. */
	if ((fresh_inter || !file_exists(path)) &&
	    (r = porten_file_write_atomic(path, "", 0, 0644)) != 0)
		goto out;
	if ((r = path_join(path, sizeof(path), dir, "crl.pem")) != 0)
		goto out;
	if ((fresh_inter || !file_exists(path)) && (r = write_crls(dir)) != 0)
		goto out;
	r = 0;
out:
	X509_free(root);
	X509_free(inter);
	X509_free(foreign);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(inter_key);
	EVP_PKEY_free(foreign_key);
	return r;
}

/* ---- leaves ---- */

static int
leaf_name(const struct porten_pki_leaf *leaf, const char *org, X509_NAME **out)
{
	X509_NAME *n = NULL;
	char buf[512];
	int r = PORTEN_ERR_NOMEM, v = (int)leaf->variant;

	*out = NULL;
	if ((n = X509_NAME_new()) == NULL)
		goto out;
	if ((r = name_add(n, NID_countryName, "NO")) != 0)
		goto out;
	if (v == PORTEN_PKI_ORGNO_O) {
		r = PORTEN_ERR_TOO_LARGE;
		if (snprintf(buf, sizeof(buf), "%s - %s", org, leaf->orgno) >= (int)sizeof(buf))
			goto out;
		if ((r = name_add(n, NID_organizationName, buf)) != 0)
			goto out;
	} else if ((r = name_add(n, NID_organizationName, org)) != 0) {
		goto out;
	}
	if (v != PORTEN_PKI_ORGNO_O && v != PORTEN_PKI_ORGNO_SERIAL && v != PORTEN_PKI_NO_ORGNO) {
		snprintf(buf, sizeof(buf), "NTRNO-%s", leaf->orgno);
		if ((r = name_add(n, NID_organizationIdentifier, buf)) != 0)
			goto out;
	}
	if ((r = name_add(n, NID_commonName, org)) != 0)
		goto out;
	if (v != PORTEN_PKI_ORGNO_O && v != PORTEN_PKI_NO_ORGNO &&
	    (r = name_add(n, NID_serialNumber, leaf->orgno)) != 0)
		goto out;
	*out = n;
	n = NULL;
	r = 0;
out:
	X509_NAME_free(n);
	return r;
}

static int
write_p12(const char *path, const char *password, const char *friendly, EVP_PKEY *pk,
          X509 *cert, X509 *ca)
{
	STACK_OF(X509) *cas = NULL;
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL;
	int n, r = PORTEN_ERR_NOMEM;

	if ((cas = sk_X509_new_null()) == NULL)
		goto out;
	if (ca != NULL && !sk_X509_push(cas, ca))
		goto out;
	r = PORTEN_ERR_CRYPTO;
	/* OpenSSL 3 defaults: AES-256-CBC with PBKDF2 for key and certificates, SHA-256 MAC. */
	if ((p12 = PKCS12_create(password, friendly, pk, cert, cas, 0, 0, 0, 0, 0)) == NULL)
		goto out;
	if ((n = i2d_PKCS12(p12, &der)) <= 0)
		goto out;
	r = porten_file_write_atomic(path, der, (size_t)n, 0600);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_X509_free(cas);
	return r;
}

int
porten_pki_issue(const char *dir, const struct porten_pki_leaf *leaf, const char *out_prefix)
{
	X509 *x = NULL, *issuer = NULL, *chain[2];
	EVP_PKEY *pk = NULL, *issuer_key = NULL;
	X509_NAME *name = NULL;
	const char *org, *ku, *policy;
	char path[PATH_MAX], friendly[64];
	int64_t now = porten_now(), nb, na;
	int r = PORTEN_ERR_INVALID, days, bits, v;

	if (dir == NULL || leaf == NULL || out_prefix == NULL || *out_prefix == '\0')
		goto out;
	v = (int)leaf->variant;
	if (v < 0 || v >= PORTEN_PKI_VARIANT_COUNT)
		goto out;
	if (v != PORTEN_PKI_NO_ORGNO && !nine_digits(leaf->orgno))
		goto out;
	org = leaf->org_name != NULL && *leaf->org_name != '\0' ? leaf->org_name :
	      "Test Organisation";
	/* ub-organization-name is 64; "<name> - <orgno>" needs 12 more */
	if (strlen(org) > (v == PORTEN_PKI_ORGNO_O ? 52 : 64))
		goto out;
	days = leaf->days > 0 ? leaf->days : LEAF_DAYS;
	bits = leaf->key_bits > 0 ? leaf->key_bits : PORTEN_RSA_MIN_BITS;
	if (days > LEAF_DAYS_MAX || bits < LEAF_BITS_MIN || bits > PORTEN_RSA_MAX_BITS)
		goto out;

	switch (v) {
	case PORTEN_PKI_SELF_SIGNED:
		break;
	case PORTEN_PKI_FOREIGN_CA:
		if ((r = load_pair(dir, "foreign-root.pem", "foreign-root-key.pem", &issuer,
		                   &issuer_key)) != 0)
			goto out;
		break;
	default:
		if ((r = load_pair(dir, "intermediate.pem", "intermediate-key.pem", &issuer,
		                   &issuer_key)) != 0)
			goto out;
		break;
	}

	switch (v) {
	case PORTEN_PKI_EXPIRED:
		nb = now - 3 * DAY_S;
		na = now - DAY_S;
		break;
	case PORTEN_PKI_NOT_YET_VALID:
		nb = now + DAY_S;
		na = nb + (int64_t)days * DAY_S;
		break;
	default:
		nb = now - LEAF_BACKDATE_S;
		na = now + (int64_t)days * DAY_S;
		break;
	}
	ku = "critical,digitalSignature";
	if (v == PORTEN_PKI_NONREPUDIATION)
		ku = "critical,nonRepudiation";
	else if (v == PORTEN_PKI_ENCRYPTION_ONLY)
		ku = "critical,keyEncipherment";
	policy = PORTEN_PKI_TEST_POLICY;
	if (v == PORTEN_PKI_WRONG_POLICY)
		policy = WRONG_POLICY;
	else if (v == PORTEN_PKI_PROD_POLICY)
		policy = PROD_POLICY;

	if ((r = gen_rsa(bits, &pk)) != 0)
		goto out;
	if ((r = leaf_name(leaf, org, &name)) != 0)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if ((x = X509_new()) == NULL)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1 ||
	    X509_set_pubkey(x, pk) != 1)
		goto out;
	if ((r = set_random_serial(x)) != 0 || (r = set_validity(x, nb, na)) != 0)
		goto out;
	if ((r = add_ext(x, issuer, NID_basic_constraints, "CA:FALSE")) != 0 ||
	    (r = add_ext(x, issuer, NID_key_usage, ku)) != 0 ||
	    (r = add_policy(x, policy)) != 0 ||
	    (r = add_ext(x, issuer, NID_subject_key_identifier, "hash")) != 0 ||
	    (r = add_ext(x, issuer, NID_authority_key_identifier, "keyid:always")) != 0)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (X509_sign(x, issuer_key != NULL ? issuer_key : pk, EVP_sha256()) <= 0)
		goto out;

	if ((r = snprintf(path, sizeof(path), "%s-key.pem", out_prefix)) < 0 ||
	    (size_t)r >= sizeof(path)) {
		r = PORTEN_ERR_TOO_LARGE;
		goto out;
	}
	if ((r = write_key(path, pk)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s.pem", out_prefix);
	if ((r = write_certs(path, &x, 1)) != 0)
		goto out;
	chain[0] = x;
	chain[1] = issuer;
	snprintf(path, sizeof(path), "%s-chain.pem", out_prefix);
	if ((r = write_certs(path, chain, issuer != NULL ? 2 : 1)) != 0)
		goto out;
	if (leaf->p12_password != NULL) {
		snprintf(friendly, sizeof(friendly), "porten %s",
		         leaf->orgno != NULL ? leaf->orgno : "test");
		snprintf(path, sizeof(path), "%s.p12", out_prefix);
		if ((r = write_p12(path, leaf->p12_password, friendly, pk, x, issuer)) != 0)
			goto out;
	}
	if (v == PORTEN_PKI_REVOKED) {
		if ((r = append_revoked(dir, x)) != 0 || (r = write_crls(dir)) != 0)
			goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	X509_NAME_free(name);
	X509_free(x);
	X509_free(issuer);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(issuer_key);
	return r;
}

/* ---- server TLS ---- */

/* The extra host as a subjectAltName entry: "IP:..." or "DNS:...". */
static int
host_san(const char *host, char *out, size_t outsz)
{
	unsigned char addr[16];
	size_t i, n;

	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1) {
		if ((size_t)snprintf(out, outsz, "IP:%s", host) >= outsz)
			return PORTEN_ERR_TOO_LARGE;
		return 0;
	}
	n = strlen(host);
	if (n == 0 || n > 253)
		return PORTEN_ERR_INVALID;
	for (i = 0; i < n; i++) {
		char c = host[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || (c == '*' && i == 0)))
			return PORTEN_ERR_INVALID;
	}
	if ((size_t)snprintf(out, outsz, "DNS:%s", host) >= outsz)
		return PORTEN_ERR_TOO_LARGE;
	return 0;
}

static int
host_covered(X509 *x, const char *host)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return X509_check_ip_asc(x, host, 0) == 1;
	return X509_check_host(x, host, 0, 0, NULL) == 1;
}

/* An existing server certificate is kept when it is from this CA, covers every host and
 * is valid for at least another day. */
static int
server_cert_usable(const char *cert_path, const char *key_path, X509 *ca,
                   const char *extra_host)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	time_t t = (time_t)(porten_now() + DAY_S);
	int ok = 0;

	if (load_cert(cert_path, &x) != 0 || load_key(key_path, &k) != 0)
		goto out;
	if (X509_check_private_key(x, k) != 1 || X509_check_issued(ca, x) != X509_V_OK)
		goto out;
	if (X509_cmp_time(X509_get0_notAfter(x), &t) <= 0)
		goto out;
	if (!host_covered(x, "localhost") || !host_covered(x, "127.0.0.1") ||
	    !host_covered(x, "::1"))
		goto out;
	if (extra_host != NULL && *extra_host != '\0' && !host_covered(x, extra_host))
		goto out;
	ok = 1;
out:
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(k);
	return ok;
}

static int
make_server(X509 *ca, EVP_PKEY *ca_key, const char *extra_host, X509 **cert_out,
            EVP_PKEY **key_out)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	EVP_PKEY *pk = NULL;
	char san[512], extra[300];
	int64_t now = porten_now();
	int r;

	*cert_out = NULL;
	*key_out = NULL;
	snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1");
	if (extra_host != NULL && *extra_host != '\0' &&
	    strcmp(extra_host, "localhost") != 0 && strcmp(extra_host, "127.0.0.1") != 0 &&
	    strcmp(extra_host, "::1") != 0) {
		if ((r = host_san(extra_host, extra, sizeof(extra))) != 0)
			goto out;
		strcat(san, ",");
		strcat(san, extra);
	}
	if ((r = gen_ec(&pk)) != 0)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL)
		goto out;
	if ((r = name_add(name, NID_organizationName, "porten")) != 0 ||
	    (r = name_add(name, NID_commonName, "localhost")) != 0)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 || X509_set_pubkey(x, pk) != 1)
		goto out;
	if ((r = set_random_serial(x)) != 0 ||
	    (r = set_validity(x, now - LEAF_BACKDATE_S, now + (int64_t)TLS_SERVER_DAYS * DAY_S)) != 0)
		goto out;
	if ((r = add_ext(x, ca, NID_basic_constraints, "CA:FALSE")) != 0 ||
	    (r = add_ext(x, ca, NID_key_usage, "critical,digitalSignature")) != 0 ||
	    (r = add_ext(x, ca, NID_ext_key_usage, "serverAuth")) != 0 ||
	    (r = add_ext(x, ca, NID_subject_alt_name, san)) != 0 ||
	    (r = add_ext(x, ca, NID_subject_key_identifier, "hash")) != 0 ||
	    (r = add_ext(x, ca, NID_authority_key_identifier, "keyid:always")) != 0)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (X509_sign(x, ca_key, EVP_sha256()) <= 0)
		goto out;
	*cert_out = x;
	*key_out = pk;
	x = NULL;
	pk = NULL;
	r = 0;
out:
	ERR_clear_error();
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(pk);
	return r;
}

static int
dup_path(const char *dir, const char *name, char **out)
{
	char path[PATH_MAX];
	int r;

	if (out == NULL)
		return 0;
	if ((r = path_join(path, sizeof(path), dir, name)) != 0)
		return r;
	if ((*out = strdup(path)) == NULL)
		return PORTEN_ERR_NOMEM;
	return 0;
}

int
porten_pki_server_tls(const char *dir, const char *extra_host,
                      char **cert_path, char **key_path, char **ca_path)
{
	X509 *ca = NULL, *srv = NULL;
	EVP_PKEY *ca_key = NULL, *srv_key = NULL;
	char tls[PATH_MAX], abs[PATH_MAX], cpath[PATH_MAX], kpath[PATH_MAX];
	char *c = NULL, *k = NULL, *a = NULL;
	int r;

	if (cert_path != NULL)
		*cert_path = NULL;
	if (key_path != NULL)
		*key_path = NULL;
	if (ca_path != NULL)
		*ca_path = NULL;
	r = PORTEN_ERR_INVALID;
	if (dir == NULL || *dir == '\0')
		goto out;
	if (extra_host != NULL && *extra_host != '\0' &&
	    (r = host_san(extra_host, cpath, sizeof(cpath))) != 0)
		goto out;
	if ((r = path_join(tls, sizeof(tls), dir, "tls")) != 0 ||
	    (r = porten_mkdirs(tls, 0700)) != 0)
		goto out;
	r = PORTEN_ERR_IO;
	if (realpath(tls, abs) == NULL)
		goto out;
	if (!have_pair(abs, "ca.pem", "ca-key.pem")) {
		if ((r = make_ca("porten Local TLS CA", NULL, NULL, TLS_CA_DAYS, 0, 1, &ca,
		                 &ca_key)) != 0 ||
		    (r = write_pair(abs, "ca.pem", "ca-key.pem", ca, ca_key)) != 0)
			goto out;
	} else if ((r = load_pair(abs, "ca.pem", "ca-key.pem", &ca, &ca_key)) != 0) {
		goto out;
	}
	if ((r = path_join(cpath, sizeof(cpath), abs, "server.pem")) != 0 ||
	    (r = path_join(kpath, sizeof(kpath), abs, "server-key.pem")) != 0)
		goto out;
	if (!server_cert_usable(cpath, kpath, ca, extra_host)) {
		if ((r = make_server(ca, ca_key, extra_host, &srv, &srv_key)) != 0 ||
		    (r = write_pair(abs, "server.pem", "server-key.pem", srv, srv_key)) != 0)
			goto out;
	}
	if ((r = dup_path(abs, "server.pem", cert_path ? &c : NULL)) != 0 ||
	    (r = dup_path(abs, "server-key.pem", key_path ? &k : NULL)) != 0 ||
	    (r = dup_path(abs, "ca.pem", ca_path ? &a : NULL)) != 0)
		goto out;
	if (cert_path != NULL)
		*cert_path = c;
	if (key_path != NULL)
		*key_path = k;
	if (ca_path != NULL)
		*ca_path = a;
	c = k = a = NULL;
	r = 0;
out:
	free(c);
	free(k);
	free(a);
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	return r;
}

/* ---- JWKS x5c, PKCS#12, PEM -> x5c ---- */

static int
der_to_b64(const unsigned char *der, size_t n, char **out)
{
	size_t cap = porten_b64std_len(n) + 1, len = 0;
	char *s;
	int r;

	*out = NULL;
	if ((s = malloc(cap)) == NULL)
		return PORTEN_ERR_NOMEM;
	if ((r = porten_b64std_encode(der, n, s, cap, &len)) != 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

int
porten_pki_self_signed_b64(const porten_key *key, const char *cn, int days, char **out)
{
	EVP_PKEY *pk = porten_key_evp(key);
	X509 *x = NULL;
	X509_NAME *name = NULL;
	unsigned char *der = NULL;
	int64_t now = porten_now();
	int n, r = PORTEN_ERR_INVALID;

	if (out != NULL)
		*out = NULL;
	if (pk == NULL || out == NULL || cn == NULL || *cn == '\0' || days <= 0 ||
	    days > LEAF_DAYS_MAX || !porten_key_has_private(key))
		goto out;
	r = PORTEN_ERR_NOMEM;
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL)
		goto out;
	if ((r = name_add(name, NID_commonName, cn)) != 0)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, pk) != 1)
		goto out;
	if ((r = set_random_serial(x)) != 0 ||
	    (r = set_validity(x, now - LEAF_BACKDATE_S, now + (int64_t)days * DAY_S)) != 0)
		goto out;
	if ((r = add_ext(x, NULL, NID_basic_constraints, "critical,CA:FALSE")) != 0 ||
	    (r = add_ext(x, NULL, NID_key_usage, "critical,digitalSignature")) != 0 ||
	    (r = add_ext(x, NULL, NID_subject_key_identifier, "hash")) != 0)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (X509_sign(x, pk, EVP_sha256()) <= 0)
		goto out;
	if ((n = i2d_X509(x, &der)) <= 0)
		goto out;
	r = der_to_b64(der, (size_t)n, out);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_free(x);
	return r;
}

int
porten_pki_read_p12(const char *path, const char *password, porten_key **key, char **cert_pem)
{
	PKCS12 *p12 = NULL;
	EVP_PKEY *pk = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	OSSL_PROVIDER *legacy = NULL;
	BIO *bio = NULL;
	const unsigned char *p;
	char *data = NULL, *pem = NULL, *mem;
	size_t len = 0;
	long n;
	int r;

	if (key != NULL)
		*key = NULL;
	if (cert_pem != NULL)
		*cert_pem = NULL;
	r = porten_file_read(path, PORTEN_FILE_MAX, &data, &len);
	if (r == PORTEN_ERR_NOT_FOUND)
		r = PORTEN_ERR_IO;
	if (r != 0)
		goto out;
	r = PORTEN_ERR_INVALID;
	p = (const unsigned char *)data;
	if (len > LONG_MAX || (p12 = d2i_PKCS12(NULL, &p, (long)len)) == NULL)
		goto out;
	if (PKCS12_mac_present(p12)) {
		r = PORTEN_ERR_PASSWORD;
		if (PKCS12_verify_mac(p12, password, -1) != 1 &&
		    !((password == NULL || *password == '\0') &&
		      PKCS12_verify_mac(p12, password == NULL ? "" : NULL, 0) == 1))
			goto out;
		r = PORTEN_ERR_INVALID;
	} else {
		r = PORTEN_ERR_PASSWORD;   /* undecryptable without a MAC: the password */
	}
	if (PKCS12_parse(p12, password, &pk, &cert, &ca) != 1) {
		/* Files from older CA tooling encrypt with RC2 or 3DES-SHA1, which OpenSSL 3 keeps
		 * in its legacy provider: load it for this file only and try again. */
		ERR_clear_error();
		if ((legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1)) == NULL ||
		    PKCS12_parse(p12, password, &pk, &cert, &ca) != 1)
			goto out;
	}
	r = PORTEN_ERR_INVALID;
	if (pk == NULL || cert == NULL || X509_check_private_key(cert, pk) != 1)
		goto out;
	if (cert_pem != NULL) {
		r = PORTEN_ERR_NOMEM;
		if ((bio = BIO_new(BIO_s_mem())) == NULL)
			goto out;
		r = PORTEN_ERR_CRYPTO;
		if (PEM_write_bio_X509(bio, cert) != 1 || (n = BIO_get_mem_data(bio, &mem)) <= 0)
			goto out;
		r = PORTEN_ERR_NOMEM;
		if ((pem = malloc((size_t)n + 1)) == NULL)
			goto out;
		memcpy(pem, mem, (size_t)n);
		pem[n] = '\0';
	}
	if (key != NULL) {
		r = porten_key_wrap(pk, key);
		pk = NULL;
		if (r != 0)
			goto out;
	}
	if (cert_pem != NULL) {
		*cert_pem = pem;
		pem = NULL;
	}
	r = 0;
out:
	ERR_clear_error();
	if (r != 0 && key != NULL && *key != NULL) {
		porten_key_unref(*key);
		*key = NULL;
	}
	free(pem);
	BIO_free(bio);
	EVP_PKEY_free(pk);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	if (legacy != NULL)
		OSSL_PROVIDER_unload(legacy);
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	return r;
}

int
porten_pki_pem_to_x5c(const char *pem, size_t len, json_t **out)
{
	json_t *arr = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned char *der = NULL;
	char *b64 = NULL;
	int n, r = PORTEN_ERR_INVALID;

	*out = NULL;
	if (pem == NULL || len == 0 || len > INT_MAX)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if ((arr = json_array()) == NULL || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, no_password_cb, NULL)) != NULL) {
		r = PORTEN_ERR_CRYPTO;
		if ((n = i2d_X509(x, &der)) <= 0)
			goto out;
		if ((r = der_to_b64(der, (size_t)n, &b64)) != 0)
			goto out;
		r = PORTEN_ERR_NOMEM;
		if (json_array_append_new(arr, json_string(b64)) != 0)
			goto out;
		free(b64);
		b64 = NULL;
		OPENSSL_free(der);
		der = NULL;
		X509_free(x);
		x = NULL;
	}
	r = PORTEN_ERR_INVALID;
	if (json_array_size(arr) == 0)
		goto out;
	*out = arr;
	arr = NULL;
	r = 0;
out:
	ERR_clear_error();
	free(b64);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	json_decref(arr);
	return r;
}
