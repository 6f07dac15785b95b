/* Enterprise-certificate validation for the x5c path (spec/maskinporten.md 2.1, 2.5, 9).
 *
 * Path building, signature checks, validity and revocation are OpenSSL's
 * (X509_STORE / X509_verify_cert with CRL_CHECK|CRL_CHECK_ALL once a CRL is loaded).
 * On top of that we apply the SEID profile rules of spec 9.1-9.4 to the leaf, and cache
 * successful verifications keyed by SHA-256 over the exact x5c strings, because parsing
 * and verifying a chain costs as much as the RSA signature the token endpoint checks. */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/log.h"
#include "porten/x509.h"
#include "crypto/key_internal.h"

/* Standard base64 length of a PORTEN_X5C_CERT_MAX DER certificate. */
#define X5C_B64_MAX (4 * ((PORTEN_X5C_CERT_MAX + 2) / 3))
#define POLICY_MAX 64
#define OID_TEXT_MAX 128

#define CACHE_WAYS 4
#define CACHE_SETS (PORTEN_X5C_CACHE_MAX / CACHE_WAYS)

struct cache_entry {
	unsigned char id[32];
	int used;
	uint64_t stamp;
	porten_key *key;
	char orgno[10];
	int64_t not_before;        /* leaf, reported */
	int64_t chain_not_before;  /* latest notBefore in the chain, checked */
	int64_t not_after;         /* earliest notAfter in the chain */
	char subject[256];
	char serial_hex[66];
};

struct policy {
	char oid[OID_TEXT_MAX];    /* "a.b.c" exact, or "a.b.c." for "a.b.c.*" */
	int prefix;
};

struct porten_trust {
	X509_STORE *store;
	STACK_OF(X509) *anchors;
	STACK_OF(X509) *intermediates;
	size_t ncrls;
	struct policy policies[POLICY_MAX];
	size_t npolicies;

	pthread_mutex_t cache_lock;
	struct cache_entry *cache;     /* CACHE_SETS * CACHE_WAYS */
	uint64_t cache_clock;
};

static void
set_why(char *why, size_t whylen, const char *s)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", s);
}

static int
asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	time_t v;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return PORTEN_ERR_INVALID;
	v = timegm(&tm);
	if (v == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
		return PORTEN_ERR_INVALID;
	*out = (int64_t)v;
	return 0;
}

/* ---- cache ---- */

static void
cache_clear_locked(porten_trust *t)
{
	size_t i;

	for (i = 0; i < (size_t)CACHE_SETS * CACHE_WAYS; i++) {
		if (t->cache[i].key != NULL)
			porten_key_unref(t->cache[i].key);
	}
	memset(t->cache, 0, sizeof(*t->cache) * (size_t)CACHE_SETS * CACHE_WAYS);
}

static void
cache_clear(porten_trust *t)
{
	pthread_mutex_lock(&t->cache_lock);
	cache_clear_locked(t);
	pthread_mutex_unlock(&t->cache_lock);
}

static struct cache_entry *
cache_set(porten_trust *t, const unsigned char id[32])
{
	uint64_t h = 0;
	int i;

	for (i = 0; i < 8; i++)
		h = (h << 8) | id[i];
	return &t->cache[(size_t)(h % CACHE_SETS) * CACHE_WAYS];
}

/* 1 on a hit (out filled, key referenced), 0 on a miss. */
static int
cache_lookup(porten_trust *t, const unsigned char id[32], struct cache_entry *out)
{
	struct cache_entry *set;
	int i, hit = 0;

	pthread_mutex_lock(&t->cache_lock);
	set = cache_set(t, id);
	for (i = 0; i < CACHE_WAYS; i++) {
		if (set[i].used && memcmp(set[i].id, id, 32) == 0) {
			set[i].stamp = ++t->cache_clock;
			*out = set[i];
			out->key = porten_key_ref(set[i].key);
			hit = 1;
			break;
		}
	}
	pthread_mutex_unlock(&t->cache_lock);
	return hit;
}

/* Takes a new reference to e->key. */
static void
cache_insert(porten_trust *t, const struct cache_entry *e)
{
	struct cache_entry *set, *victim = NULL;
	int i;

	pthread_mutex_lock(&t->cache_lock);
	set = cache_set(t, e->id);
	for (i = 0; i < CACHE_WAYS; i++) {
		if (set[i].used && memcmp(set[i].id, e->id, 32) == 0) {
			victim = &set[i];
			break;
		}
	}
	for (i = 0; victim == NULL && i < CACHE_WAYS; i++)
		if (!set[i].used)
			victim = &set[i];
	if (victim == NULL) {
		victim = &set[0];
		for (i = 1; i < CACHE_WAYS; i++)
			if (set[i].stamp < victim->stamp)
				victim = &set[i];
	}
	if (victim->key != NULL)
		porten_key_unref(victim->key);
	*victim = *e;
	victim->used = 1;
	victim->stamp = ++t->cache_clock;
	victim->key = porten_key_ref(e->key);
	pthread_mutex_unlock(&t->cache_lock);
}

/* ---- trust ---- */

int
porten_trust_new(porten_trust **out)
{
	porten_trust *t = NULL;
	int r = PORTEN_ERR_NOMEM, locked = 0;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto out;
	if (pthread_mutex_init(&t->cache_lock, NULL) != 0) {
		r = PORTEN_ERR_INTERNAL;
		goto out;
	}
	locked = 1;
	t->cache = calloc((size_t)CACHE_SETS * CACHE_WAYS, sizeof(*t->cache));
	t->store = X509_STORE_new();
	t->anchors = sk_X509_new_null();
	t->intermediates = sk_X509_new_null();
	if (t->cache == NULL || t->store == NULL || t->anchors == NULL ||
	    t->intermediates == NULL)
		goto out;
	*out = t;
	t = NULL;
	r = 0;
out:
	if (t != NULL) {
		if (locked)
			pthread_mutex_destroy(&t->cache_lock);
		free(t->cache);
		X509_STORE_free(t->store);
		sk_X509_free(t->anchors);
		sk_X509_free(t->intermediates);
		free(t);
	}
	return r;
}

void
porten_trust_free(porten_trust *t)
{
	if (t == NULL)
		return;
	cache_clear(t);
	pthread_mutex_destroy(&t->cache_lock);
	free(t->cache);
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->anchors, X509_free);
	sk_X509_pop_free(t->intermediates, X509_free);
	free(t);
}

/* Every certificate of a PEM file, appended to sk. */
static int
read_pem_certs(const char *path, STACK_OF(X509) *sk, size_t *count)
{
	char *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned long e;
	int r;

	*count = 0;
	r = porten_file_read(path, PORTEN_FILE_MAX, &data, &len);
	if (r == PORTEN_ERR_NOT_FOUND)
		r = PORTEN_ERR_IO;
	if (r != 0)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if (len > INT_MAX || (bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		goto out;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto out;
		}
		(*count)++;
	}
	e = ERR_peek_last_error();
	r = PORTEN_ERR_INVALID;
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
		goto out;
	if (*count == 0)
		goto out;
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	free(data);
	return r;
}

/* Reads a PEM bundle; anchors go into the store too. All or nothing. */
static int
add_certs_file(porten_trust *t, const char *path, STACK_OF(X509) *dst, int anchors)
{
	STACK_OF(X509) *sk = NULL;
	size_t n = 0;
	int r = PORTEN_ERR_NOMEM, i;

	if ((sk = sk_X509_new_null()) == NULL)
		goto out;
	if ((r = read_pem_certs(path, sk, &n)) != 0)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if (!sk_X509_reserve(dst, sk_X509_num(dst) + sk_X509_num(sk)))
		goto out;
	r = PORTEN_ERR_CRYPTO;
	for (i = 0; anchors && i < sk_X509_num(sk); i++)
		if (X509_STORE_add_cert(t->store, sk_X509_value(sk, i)) != 1)
			goto out;
	while (sk_X509_num(sk) > 0)
		(void)sk_X509_push(dst, sk_X509_shift(sk));   /* reserved above */
	cache_clear(t);
	r = 0;
out:
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	return r;
}

int
porten_trust_add_anchors_file(porten_trust *t, const char *path)
{
	return add_certs_file(t, path, t->anchors, 1);
}

int
porten_trust_add_intermediates_file(porten_trust *t, const char *path)
{
	return add_certs_file(t, path, t->intermediates, 0);
}

int
porten_trust_add_crl_file(porten_trust *t, const char *path)
{
	STACK_OF(X509_CRL) *sk = NULL;
	X509_CRL *crl = NULL;
	const unsigned char *p;
	char *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int r, i;

	r = porten_file_read(path, PORTEN_FILE_MAX, &data, &len);
	if (r == PORTEN_ERR_NOT_FOUND)
		r = PORTEN_ERR_IO;
	if (r != 0)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if (len > INT_MAX || (sk = sk_X509_CRL_new_null()) == NULL ||
	    (bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		goto out;
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_CRL_push(sk, crl)) {
			X509_CRL_free(crl);
			goto out;
		}
	}
	if (sk_X509_CRL_num(sk) == 0) {
		/* DER: the whole file is one CRL. */
		p = (const unsigned char *)data;
		crl = d2i_X509_CRL(NULL, &p, (long)len);
		r = PORTEN_ERR_INVALID;
		if (crl == NULL || p != (const unsigned char *)data + len) {
			X509_CRL_free(crl);
			goto out;
		}
		r = PORTEN_ERR_NOMEM;
		if (!sk_X509_CRL_push(sk, crl)) {
			X509_CRL_free(crl);
			goto out;
		}
	}
	r = PORTEN_ERR_CRYPTO;
	for (i = 0; i < sk_X509_CRL_num(sk); i++) {
		if (X509_STORE_add_crl(t->store, sk_X509_CRL_value(sk, i)) != 1)
			goto out;
		t->ncrls++;
	}
	cache_clear(t);
	r = 0;
out:
	ERR_clear_error();
	sk_X509_CRL_pop_free(sk, X509_CRL_free);
	BIO_free(bio);
	free(data);
	return r;
}

/* "1.2.3" or "1.2.3.*": arcs of digits separated by single dots. */
static int
policy_pattern_ok(const char *s, size_t n)
{
	size_t i, arcs = 0, digits = 0;

	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			digits++;
			continue;
		}
		if (s[i] != '.' || digits == 0)
			return 0;
		arcs++;
		digits = 0;
	}
	return digits > 0 && arcs >= 1;
}

int
porten_trust_add_policy(porten_trust *t, const char *pattern)
{
	struct policy *p;
	size_t n;
	int prefix = 0;

	if (pattern == NULL)
		return PORTEN_ERR_INVALID;
	n = strlen(pattern);
	if (n >= 2 && strcmp(pattern + n - 2, ".*") == 0) {
		prefix = 1;
		n -= 2;
	}
	if (n == 0 || n + 2 > OID_TEXT_MAX || !policy_pattern_ok(pattern, n))
		return PORTEN_ERR_INVALID;
	if (t->npolicies >= POLICY_MAX)
		return PORTEN_ERR_TOO_LARGE;
	p = &t->policies[t->npolicies];
	memcpy(p->oid, pattern, n);
	if (prefix)
		p->oid[n++] = '.';
	p->oid[n] = '\0';
	p->prefix = prefix;
	t->npolicies++;
	cache_clear(t);
	return 0;
}

/*
 * SEID certificate-policy OIDs accepted by Digdir's validator (spec/maskinporten.md 9.1).
 *
 * PROD:
 *   2.16.578.1.26.1.3.5            Buypass Class 3 (SEID 1.0) business certificates
 *   2.16.578.1.26.1.3.2            Buypass Class 3 (SEID 1.0) business certificates
 *   2.16.578.1.29.13.200 (+ .*)    Commfides / SEID 2.0 legal-person policies
 *   2.16.578.1.29.13.210 (+ .*)
 *   2.16.578.1.29.13.220 (+ .*)
 *   2.16.578.1.29.13.1.1.0
 *   2.16.578.1.29.13.1
 * TEST:
 *   2.16.578.1.26.1.0.3.2          Buypass Test4 business certificates
 *   2.16.578.1.29.913.200 (+ .*)   test counterparts of the 13.2x0 policies
 *   2.16.578.1.29.913.210 (+ .*)
 *   2.16.578.1.29.913.220 (+ .*)
 *   2.16.578.1.29.913.1.1.0
 *   2.16.578.1.29.913.1
 *   2.16.578.1.1.1.1.100
 * "all" adds both lists. porten pki issues PORTEN_PKI_TEST_POLICY (2.16.578.1.29.913.200.1.0).
 */
static const char *const seid_prod[] = {
	"2.16.578.1.26.1.3.5",
	"2.16.578.1.26.1.3.2",
	"2.16.578.1.29.13.200", "2.16.578.1.29.13.200.*",
	"2.16.578.1.29.13.210", "2.16.578.1.29.13.210.*",
	"2.16.578.1.29.13.220", "2.16.578.1.29.13.220.*",
	"2.16.578.1.29.13.1.1.0",
	"2.16.578.1.29.13.1",
};

static const char *const seid_test[] = {
	"2.16.578.1.26.1.0.3.2",
	"2.16.578.1.29.913.200", "2.16.578.1.29.913.200.*",
	"2.16.578.1.29.913.210", "2.16.578.1.29.913.210.*",
	"2.16.578.1.29.913.220", "2.16.578.1.29.913.220.*",
	"2.16.578.1.29.913.1.1.0",
	"2.16.578.1.29.913.1",
	"2.16.578.1.1.1.1.100",
};

int
porten_trust_add_seid_policies(porten_trust *t, const char *which)
{
	int prod, test, r;
	size_t i;

	if (which == NULL)
		return PORTEN_ERR_INVALID;
	prod = strcmp(which, "prod") == 0 || strcmp(which, "all") == 0;
	test = strcmp(which, "test") == 0 || strcmp(which, "all") == 0;
	if (!prod && !test)
		return PORTEN_ERR_INVALID;
	for (i = 0; prod && i < sizeof(seid_prod) / sizeof(seid_prod[0]); i++)
		if ((r = porten_trust_add_policy(t, seid_prod[i])) != 0)
			return r;
	for (i = 0; test && i < sizeof(seid_test) / sizeof(seid_test[0]); i++)
		if ((r = porten_trust_add_policy(t, seid_test[i])) != 0)
			return r;
	return 0;
}

size_t
porten_trust_anchor_count(const porten_trust *t)
{
	int n = sk_X509_num(t->anchors);

	return n > 0 ? (size_t)n : 0;
}

void
porten_cert_info_clear(struct porten_cert_info *ci)
{
	if (ci == NULL)
		return;
	if (ci->leaf_key != NULL)
		porten_key_unref(ci->leaf_key);
	memset(ci, 0, sizeof(*ci));
}

/* ---- organisation number (spec 9.2) ---- */

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Regex \w: ASCII letters, digits, underscore; non-ASCII bytes count as letters. */
static int
is_word(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c >= 0x80;
}

static int
all_digits(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* ^.+\-\W*([0-9]{9})$ : nine trailing digits, preceded by a '-' (with only non-word
 * characters between) that itself has at least one character before it. */
static int
match_dash_orgno(const unsigned char *s, size_t n, char orgno[10])
{
	size_t i, p;

	if (n < 11 || !all_digits(s + n - 9, 9))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\0')
			return 0;
	p = n - 9;
	while (p > 0) {
		p--;
		if (is_word(s[p]))
			return 0;
		if (s[p] == '-' && p >= 1) {
			memcpy(orgno, s + n - 9, 9);
			orgno[9] = '\0';
			return 1;
		}
	}
	return 0;
}

enum { ORGNO_SERIAL, ORGNO_O, ORGNO_OI };

static int
name_entry_orgno(const X509_NAME *name, int nid, int how, char orgno[10])
{
	const X509_NAME_ENTRY *ne;
	unsigned char *u = NULL;
	int idx = -1, len, found = 0;

	while (!found && (idx = X509_NAME_get_index_by_NID(name, nid, idx)) >= 0) {
		ne = X509_NAME_get_entry(name, idx);
		if ((len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(ne))) < 0) {
			u = NULL;
			continue;
		}
		if ((how == ORGNO_SERIAL || how == ORGNO_OI) && len == 9 &&
		    all_digits(u, 9)) {
			memcpy(orgno, u, 9);
			orgno[9] = '\0';
			found = 1;
		} else if (how != ORGNO_SERIAL && match_dash_orgno(u, (size_t)len, orgno)) {
			found = 1;
		}
		OPENSSL_free(u);
		u = NULL;
	}
	return found;
}

static int
orgno_from_x509(X509 *x, char orgno[10])
{
	const X509_NAME *name = X509_get_subject_name(x);
	char oi[10];

	if (name == NULL)
		return PORTEN_ERR_NOT_FOUND;
	if (name_entry_orgno(name, NID_serialNumber, ORGNO_SERIAL, orgno)) {
		/* spec 9.2 UNCERTAIN: Digdir's order picks serialNumber; say so when the
		 * SEID 2.0 organizationIdentifier disagrees. */
		if (name_entry_orgno(name, NID_organizationIdentifier, ORGNO_OI, oi) &&
		    strcmp(oi, orgno) != 0)
			log_warn("certificate serialNumber %s differs from organizationIdentifier %s; "
			         "using serialNumber", orgno, oi);
		return 0;
	}
	if (name_entry_orgno(name, NID_organizationName, ORGNO_O, orgno))
		return 0;
	if (name_entry_orgno(name, NID_organizationIdentifier, ORGNO_OI, orgno))
		return 0;
	return PORTEN_ERR_NOT_FOUND;
}

int
porten_cert_orgno_from_der(const unsigned char *der, size_t len, char orgno[10])
{
	const unsigned char *p = der;
	X509 *x = NULL;
	int r = PORTEN_ERR_NOT_FOUND;

	orgno[0] = '\0';
	if (der == NULL || len == 0 || len > LONG_MAX)
		goto out;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len)
		goto out;
	r = orgno_from_x509(x, orgno);
out:
	if (r != 0)
		orgno[0] = '\0';
	ERR_clear_error();
	X509_free(x);
	return r;
}

int
porten_cert_validity_from_der(const unsigned char *der, size_t len, int64_t *not_before,
                              int64_t *not_after)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	int64_t nb = 0, na = 0;
	int r = PORTEN_ERR_INVALID;

	if (der == NULL || len == 0 || len > LONG_MAX)
		goto out;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len)
		goto out;
	if (asn1_time_unix(X509_get0_notBefore(x), &nb) != 0 ||
	    asn1_time_unix(X509_get0_notAfter(x), &na) != 0)
		goto out;
	if (not_before != NULL)
		*not_before = nb;
	if (not_after != NULL)
		*not_after = na;
	r = 0;
out:
	ERR_clear_error();
	X509_free(x);
	return r;
}

/* ---- leaf profile (spec 9.1, 9.3, 9.4) ---- */

static int
policy_accepted(const porten_trust *t, const char *oid)
{
	size_t i, n;

	for (i = 0; i < t->npolicies; i++) {
		const struct policy *p = &t->policies[i];

		if (!p->prefix) {
			if (strcmp(oid, p->oid) == 0)
				return 1;
			continue;
		}
		n = strlen(p->oid);
		if (strncmp(oid, p->oid, n) == 0 && oid[n] != '\0')
			return 1;
	}
	return 0;
}

static int
check_policies(const porten_trust *t, X509 *leaf, const char **why)
{
	CERTIFICATEPOLICIES *cp = NULL;
	char oid[OID_TEXT_MAX];
	int crit = 0, i, n, r = PORTEN_ERR_CERT;

	if (t->npolicies == 0)
		return 0;
	cp = X509_get_ext_d2i(leaf, NID_certificate_policies, &crit, NULL);
	if (cp == NULL) {
		*why = "certificate policies missing";
		goto out;
	}
	*why = "certificate policy not accepted";
	for (i = 0; i < sk_POLICYINFO_num(cp); i++) {
		const POLICYINFO *pi = sk_POLICYINFO_value(cp, i);

		n = OBJ_obj2txt(oid, sizeof(oid), pi->policyid, 1);
		if (n <= 0 || (size_t)n >= sizeof(oid))
			continue;
		if (policy_accepted(t, oid)) {
			r = 0;
			goto out;
		}
	}
out:
	CERTIFICATEPOLICIES_free(cp);
	return r;
}

static int
check_leaf(const porten_trust *t, X509 *leaf, char orgno[10], const char **why)
{
	const X509_EXTENSION *ext;
	EVP_PKEY *pk;
	uint32_t flags, ku;
	int i, n, nid, bits;

	flags = X509_get_extension_flags(leaf);
	if (flags & EXFLAG_INVALID) {
		*why = "invalid certificate extensions";
		return PORTEN_ERR_CERT;
	}
	if ((flags & (EXFLAG_SS | EXFLAG_SI)) ||
	    X509_NAME_cmp(X509_get_subject_name(leaf), X509_get_issuer_name(leaf)) == 0) {
		*why = "self-signed certificate";
		return PORTEN_ERR_CERT;
	}
	if (flags & EXFLAG_CA) {
		*why = "certificate is a ca";
		return PORTEN_ERR_CERT;
	}
	n = X509_get_ext_count(leaf);
	for (i = 0; i < n; i++) {
		ext = X509_get_ext(leaf, i);
		if (!X509_EXTENSION_get_critical(ext))
			continue;
		nid = OBJ_obj2nid(X509_EXTENSION_get_object((X509_EXTENSION *)ext));
		if (nid != NID_key_usage && nid != NID_basic_constraints) {
			*why = "unexpected critical extension";
			return PORTEN_ERR_CERT;
		}
	}
	i = X509_get_ext_by_NID(leaf, NID_key_usage, -1);
	if (i < 0 || !(flags & EXFLAG_KUSAGE)) {
		*why = "key usage missing";
		return PORTEN_ERR_CERT;
	}
	if (!X509_EXTENSION_get_critical(X509_get_ext(leaf, i))) {
		*why = "key usage not critical";
		return PORTEN_ERR_CERT;
	}
	ku = X509_get_key_usage(leaf);
	if (!(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		*why = "key usage allows neither digitalSignature nor nonRepudiation";
		return PORTEN_ERR_CERT;
	}
	pk = X509_get0_pubkey(leaf);
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		*why = "certificate key is not rsa";
		return PORTEN_ERR_CERT;
	}
	bits = EVP_PKEY_get_bits(pk);
	if (bits < PORTEN_RSA_MIN_BITS || bits > PORTEN_RSA_MAX_BITS) {
		*why = "rsa key size out of range";
		return PORTEN_ERR_CERT;
	}
	if (check_policies(t, leaf, why) != 0)
		return PORTEN_ERR_CERT;
	if (orgno_from_x509(leaf, orgno) != 0) {
		*why = "no organisation number in certificate";
		return PORTEN_ERR_CERT;
	}
	return 0;
}

/* ---- x5c ---- */

/* Shape checks and the cache id: SHA-256 over (4-byte big-endian length, bytes) of each
 * string, so distinct arrays never share an id. */
static int
x5c_shape(const json_t *x5c, unsigned char id[32], const char **why)
{
	EVP_MD_CTX *md = NULL;
	unsigned char lenbuf[4];
	unsigned int idlen = 0;
	size_t i, n, sl;
	int r = PORTEN_ERR_INVALID;

	if (!json_is_array(x5c)) {
		*why = "x5c is not an array";
		goto out;
	}
	n = json_array_size(x5c);
	if (n == 0) {
		*why = "x5c is empty";
		goto out;
	}
	if (n > PORTEN_X5C_CERTS_MAX) {
		*why = "x5c has too many certificates";
		goto out;
	}
	for (i = 0; i < n; i++) {
		const json_t *s = json_array_get(x5c, i);

		if (!json_is_string(s)) {
			*why = "x5c element is not a string";
			goto out;
		}
		sl = json_string_length(s);
		if (sl == 0 || sl > X5C_B64_MAX) {
			*why = "x5c element has a bad length";
			goto out;
		}
	}
	r = PORTEN_ERR_CRYPTO;
	if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		const json_t *s = json_array_get(x5c, i);

		sl = json_string_length(s);
		lenbuf[0] = (unsigned char)(sl >> 24);
		lenbuf[1] = (unsigned char)(sl >> 16);
		lenbuf[2] = (unsigned char)(sl >> 8);
		lenbuf[3] = (unsigned char)sl;
		if (EVP_DigestUpdate(md, lenbuf, 4) != 1 ||
		    EVP_DigestUpdate(md, json_string_value(s), sl) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(md, id, &idlen) != 1 || idlen != 32)
		goto out;
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

static int
x5c_decode(const json_t *x5c, STACK_OF(X509) *certs, const char **why)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t i, n, dlen;
	X509 *x = NULL;
	int r = PORTEN_ERR_NOMEM;

	if ((der = malloc(PORTEN_X5C_CERT_MAX)) == NULL)
		goto out;
	n = json_array_size(x5c);
	for (i = 0; i < n; i++) {
		const json_t *s = json_array_get(x5c, i);

		r = PORTEN_ERR_INVALID;
		dlen = 0;
		if (porten_b64std_decode(json_string_value(s), json_string_length(s), der,
		                         PORTEN_X5C_CERT_MAX, &dlen) != 0 || dlen == 0) {
			*why = "x5c element is not standard base64";
			goto out;
		}
		p = der;
		if ((x = d2i_X509(NULL, &p, (long)dlen)) == NULL || p != der + dlen) {
			*why = "x5c element is not a der certificate";
			goto out;
		}
		r = PORTEN_ERR_NOMEM;
		if (!sk_X509_push(certs, x))
			goto out;
		x = NULL;
	}
	r = 0;
out:
	X509_free(x);
	free(der);
	ERR_clear_error();
	return r;
}

static void
fill_subject_serial(X509 *leaf, char subject[256], char serial_hex[66])
{
	BIO *bio = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int n;

	subject[0] = '\0';
	serial_hex[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(bio, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(bio, subject, 255);
		subject[n > 0 ? n : 0] = '\0';
	}
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL)) != NULL &&
	    (hex = BN_bn2hex(bn)) != NULL)
		snprintf(serial_hex, 66, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	BIO_free(bio);
}

static int
chain_verify(porten_trust *t, STACK_OF(X509) *certs, int64_t now, struct cache_entry *e,
             char *why, size_t whylen)
{
	STACK_OF(X509) *untrusted = NULL, *chain;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	X509 *leaf = sk_X509_value(certs, 0);
	int64_t nb, na;
	int r = PORTEN_ERR_NOMEM, i, err;

	if ((untrusted = sk_X509_new_null()) == NULL)
		goto out;
	for (i = 1; i < sk_X509_num(certs); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(certs, i)))
			goto out;
	for (i = 0; i < sk_X509_num(t->intermediates); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(t->intermediates, i)))
			goto out;
	if ((ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	r = PORTEN_ERR_CRYPTO;
	if (X509_STORE_CTX_init(ctx, t->store, leaf, untrusted) != 1)
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)now);
	if (t->ncrls > 0)
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		set_why(why, whylen, X509_verify_cert_error_string(err));
		r = PORTEN_ERR_CERT;
		goto out;
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	if (chain == NULL || sk_X509_num(chain) < 2) {
		set_why(why, whylen, "certificate is a trust anchor");
		r = PORTEN_ERR_CERT;
		goto out;
	}
	if (asn1_time_unix(X509_get0_notBefore(leaf), &e->not_before) != 0)
		goto out;
	e->chain_not_before = e->not_before;
	e->not_after = INT64_MAX;
	for (i = 0; i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if (asn1_time_unix(X509_get0_notBefore(c), &nb) != 0 ||
		    asn1_time_unix(X509_get0_notAfter(c), &na) != 0)
			goto out;
		if (nb > e->chain_not_before)
			e->chain_not_before = nb;
		if (na < e->not_after)
			e->not_after = na;
	}
	r = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	return r;
}

static void
info_from_entry(struct porten_cert_info *out, const struct cache_entry *e)
{
	out->leaf_key = e->key;
	memcpy(out->orgno, e->orgno, sizeof(out->orgno));
	out->not_before = e->not_before;
	out->not_after = e->not_after;
	memcpy(out->subject, e->subject, sizeof(out->subject));
	memcpy(out->serial_hex, e->serial_hex, sizeof(out->serial_hex));
}

int
porten_trust_verify_x5c(porten_trust *t, const json_t *x5c, int64_t now,
                        struct porten_cert_info *out, char *why, size_t whylen)
{
	STACK_OF(X509) *certs = NULL;
	struct cache_entry e;
	const char *reason = "internal error";
	unsigned char id[32];
	EVP_PKEY *pk;
	X509 *leaf;
	int r;

	memset(&e, 0, sizeof(e));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	set_why(why, whylen, "");
	if ((r = x5c_shape(x5c, id, &reason)) != 0)
		goto out;

	if (cache_lookup(t, id, &e)) {
		r = PORTEN_ERR_CERT;
		if (now < e.chain_not_before) {
			reason = "certificate is not yet valid";
			goto out;
		}
		if (now >= e.not_after) {
			reason = "certificate has expired";
			goto out;
		}
		goto done;
	}

	r = PORTEN_ERR_NOMEM;
	if ((certs = sk_X509_new_null()) == NULL)
		goto out;
	if ((r = x5c_decode(x5c, certs, &reason)) != 0)
		goto out;
	leaf = sk_X509_value(certs, 0);
	if ((r = check_leaf(t, leaf, e.orgno, &reason)) != 0)
		goto out;
	if ((r = chain_verify(t, certs, now, &e, why, whylen)) != 0) {
		if (r == PORTEN_ERR_CERT)
			reason = NULL;   /* why already says what OpenSSL refused */
		goto out;
	}
	fill_subject_serial(leaf, e.subject, e.serial_hex);
	r = PORTEN_ERR_CRYPTO;
	if ((pk = X509_get_pubkey(leaf)) == NULL)
		goto out;
	if ((r = porten_key_wrap(pk, &e.key)) != 0)
		goto out;
	memcpy(e.id, id, sizeof(id));
	cache_insert(t, &e);
done:
	if (out != NULL) {
		info_from_entry(out, &e);
		e.key = NULL;
	}
	reason = NULL;
	r = 0;
out:
	if (reason != NULL)
		set_why(why, whylen, reason);
	if (e.key != NULL)
		porten_key_unref(e.key);
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return r;
}
