/* Client credentials from files (a private key in PEM or as a JWK; an enterprise
 * certificate or chain in PEM) and from sandbox.json. Key file contents are wiped once
 * parsed; messages name files, never their contents. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porten/b64.h"
#include "porten/buf.h"
#include "porten/client.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/pki.h"
#include "porten/x509.h"

static void
errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reads a whole file; a one-line reason in err on failure. */
static int
read_file(const char *what, const char *path, size_t max, char **out, size_t *len, char *err,
          size_t errlen)
{
	int r = porten_file_read(path, max, out, len);

	if (r == PORTEN_ERR_NOT_FOUND) {
		errf(err, errlen, "cannot read the %s '%s': no such file", what, path);
		return PORTEN_ERR_IO;
	}
	if (r == PORTEN_ERR_TOO_LARGE) {
		errf(err, errlen, "the %s '%s' is larger than %zu bytes", what, path, max);
		return PORTEN_ERR_INVALID;
	}
	if (r != 0) {
		errf(err, errlen, "cannot read the %s '%s': %s", what, path, porten_strerror(r));
		return PORTEN_ERR_IO;
	}
	return 0;
}

static const char *
skip_space(const char *s, size_t n, size_t *left)
{
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	*left = n;
	return s;
}

/* The private key of key_path: PEM, or a JSON private JWK (its "kid" into *jwk_kid). */
static int
load_key(const char *key_path, porten_key **key, char **jwk_kid, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len = 0, left;
	const char *p;
	json_t *jwk = NULL, *kid;
	int r;

	*key = NULL;
	*jwk_kid = NULL;
	if ((r = read_file("private key", key_path, PORTEN_CLIENT_CONFIG_MAX, &data, &len, err,
	                   errlen)) != 0)
		return r;
	p = skip_space(data, len, &left);
	if (left > 0 && *p == '{') {
		jwk = json_loadb(p, left, JSON_REJECT_DUPLICATES, NULL);
		r = jwk != NULL ? porten_key_from_private_jwk(jwk, key) : PORTEN_ERR_INVALID;
		if (r != 0) {
			errf(err, errlen, "'%s' is not an RSA private JWK (n, e, d and optionally "
			     "p, q, dp, dq, qi)", key_path);
			goto out;
		}
		kid = json_object_get(jwk, "kid");
		if (json_is_string(kid) && json_string_length(kid) > 0 &&
		    (*jwk_kid = strdup(json_string_value(kid))) == NULL) {
			r = PORTEN_ERR_NOMEM;
			goto out;
		}
	} else {
		r = porten_key_from_pem(data, len, key);
		if (r == 0 && !porten_key_has_private(*key))
			r = PORTEN_ERR_INVALID;
		if (r != 0) {
			errf(err, errlen, "'%s' holds no private key (expected PEM: PKCS#8 or RSA)",
			     key_path);
			r = PORTEN_ERR_INVALID;
			goto out;
		}
	}
	if (!porten_key_is_rsa(*key)) {
		errf(err, errlen, "the key in '%s' is not an RSA key (Maskinporten signs with RS256)",
		     key_path);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		porten_key_unref(*key);
		*key = NULL;
		free(*jwk_kid);
		*jwk_kid = NULL;
	}
	if (jwk != NULL) {
		/* jansson keeps its own copies of d, p, q...: nothing to wipe but our buffer. */
		json_decref(jwk);
	}
	porten_wipe(data, len);
	free(data);
	return r;
}

/* x5c of the PEM certificates in data (from "name") with the certificate holding key's
 * public key first. */
static int
x5c_from_pem(const char *name, const char *data, size_t len, const porten_key *key, json_t **out,
             char *err, size_t errlen)
{
	unsigned char der[PORTEN_X5C_CERT_MAX];
	char want[44], got[44];
	size_t dlen, i;
	json_t *x5c = NULL, *leaf;
	porten_key *ck;
	int r, found = -1;

	*out = NULL;
	if ((r = porten_pki_pem_to_x5c(data, len, &x5c)) != 0) {
		errf(err, errlen, "'%s' holds no PEM certificate", name);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (json_array_size(x5c) > PORTEN_X5C_CERTS_MAX) {
		errf(err, errlen, "'%s' holds more than %d certificates", name, PORTEN_X5C_CERTS_MAX);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if ((r = porten_key_thumbprint(key, want)) != 0)
		goto out;
	for (i = 0; i < json_array_size(x5c) && found < 0; i++) {
		const json_t *e = json_array_get(x5c, i);

		if (porten_b64std_decode(json_string_value(e), json_string_length(e), der, sizeof(der),
		                         &dlen) != 0)
			continue;
		if (porten_key_from_cert_der(der, dlen, &ck) != 0)
			continue;
		if (porten_key_thumbprint(ck, got) == 0 && strcmp(want, got) == 0)
			found = (int)i;
		porten_key_unref(ck);
	}
	if (found < 0) {
		errf(err, errlen, "no certificate in '%s' belongs to the private key", name);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (found > 0) {
		leaf = json_incref(json_array_get(x5c, (size_t)found));
		if (json_array_remove(x5c, (size_t)found) != 0 ||
		    json_array_insert_new(x5c, 0, leaf) != 0) {
			r = PORTEN_ERR_NOMEM;
			goto out;
		}
	}
	*out = x5c;
	x5c = NULL;
	r = 0;
out:
	json_decref(x5c);
	return r;
}

/* x5c of cert_path with the certificate holding key's public key first. */
static int
load_x5c(const char *cert_path, const porten_key *key, json_t **out, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = read_file("certificate", cert_path, PORTEN_CLIENT_CONFIG_MAX, &data, &len, err,
	                   errlen)) != 0)
		return r;
	r = x5c_from_pem(cert_path, data, len, key, out, err, errlen);
	free(data);
	return r;
}

static int
check_client_id(const char *client_id, char *err, size_t errlen)
{
	if (client_id == NULL || *client_id == '\0' || strlen(client_id) > PORTEN_CLIENT_ID_MAX) {
		errf(err, errlen, "a client_id of 1 to %d characters is required", PORTEN_CLIENT_ID_MAX);
		return PORTEN_ERR_USAGE;
	}
	return 0;
}

int
porten_client_credentials_from_key_cert(struct porten_client_credentials *cr,
                                        const char *client_id, porten_key *key,
                                        const char *cert_pem, const char *name, char *err,
                                        size_t errlen)
{
	int r;

	memset(cr, 0, sizeof(*cr));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((r = check_client_id(client_id, err, errlen)) != 0)
		return r;
	if (key == NULL || cert_pem == NULL || !porten_key_has_private(key)) {
		errf(err, errlen, "'%s' holds no private key", name ? name : "the key");
		return PORTEN_ERR_INVALID;
	}
	if (!porten_key_is_rsa(key)) {
		errf(err, errlen, "the key in '%s' is not an RSA key (Maskinporten signs with RS256)",
		     name ? name : "the key");
		return PORTEN_ERR_INVALID;
	}
	cr->key = porten_key_ref(key);
	if ((r = x5c_from_pem(name ? name : "the certificate", cert_pem, strlen(cert_pem), cr->key,
	                      &cr->x5c, err, errlen)) != 0)
		goto out;
	r = PORTEN_ERR_NOMEM;
	if ((cr->client_id = strdup(client_id)) == NULL)
		goto out;
	r = 0;
out:
	if (r != 0)
		porten_client_credentials_clear(cr);
	return r;
}

int
porten_client_credentials_from_p12(struct porten_client_credentials *cr, const char *client_id,
                                   const char *p12_path, const char *password, char *err,
                                   size_t errlen)
{
	porten_key *key = NULL;
	char *pem = NULL;
	size_t len = 0;
	int r;

	memset(cr, 0, sizeof(*cr));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((r = check_client_id(client_id, err, errlen)) != 0)
		return r;
	if (p12_path == NULL || *p12_path == '\0') {
		errf(err, errlen, "a PKCS#12 file is required");
		return PORTEN_ERR_USAGE;
	}
	/* Tell a missing or unreadable file from a bad one before OpenSSL sees it. */
	if ((r = read_file("PKCS#12 file", p12_path, PORTEN_FILE_MAX, &pem, &len, err, errlen)) != 0)
		return r;
	porten_wipe(pem, len);
	free(pem);
	pem = NULL;
	r = porten_pki_read_p12(p12_path, password != NULL ? password : "", &key, &pem);
	switch (r) {
	case 0:
		break;
	case PORTEN_ERR_PASSWORD:
		errf(err, errlen, "cannot open '%s': wrong password", p12_path);
		goto out;
	case PORTEN_ERR_INVALID:
		errf(err, errlen, "cannot open '%s': not a PKCS#12 file with one private key and its "
		     "certificate", p12_path);
		goto out;
	case PORTEN_ERR_IO:
		errf(err, errlen, "cannot read '%s'", p12_path);
		goto out;
	default:
		errf(err, errlen, "cannot open '%s': %s", p12_path, porten_strerror(r));
		goto out;
	}
	r = porten_client_credentials_from_key_cert(cr, client_id, key, pem, p12_path, err, errlen);
out:
	porten_key_unref(key);
	free(pem);
	return r;
}

int
porten_client_credentials_cert(const struct porten_client_credentials *cr, int64_t *not_before,
                               int64_t *not_after, char orgno[10])
{
	unsigned char der[PORTEN_X5C_CERT_MAX];
	const json_t *leaf;
	size_t dlen;
	int r;

	if (orgno != NULL)
		orgno[0] = '\0';
	if (cr == NULL || cr->x5c == NULL || !json_is_string(leaf = json_array_get(cr->x5c, 0)))
		return PORTEN_ERR_NOT_FOUND;
	if (porten_b64std_decode(json_string_value(leaf), json_string_length(leaf), der, sizeof(der),
	                         &dlen) != 0)
		return PORTEN_ERR_INVALID;
	if ((r = porten_cert_validity_from_der(der, dlen, not_before, not_after)) != 0)
		return r;
	if (orgno != NULL)
		(void)porten_cert_orgno_from_der(der, dlen, orgno);
	return 0;
}

int
porten_client_credentials_load(struct porten_client_credentials *cr, const char *client_id,
                               const char *cert_path, const char *key_path, const char *kid,
                               char *err, size_t errlen)
{
	char *jwk_kid = NULL;
	int r = PORTEN_ERR_INTERNAL;

	memset(cr, 0, sizeof(*cr));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((r = check_client_id(client_id, err, errlen)) != 0)
		return r;
	if (key_path == NULL || *key_path == '\0') {
		errf(err, errlen, "a private key file is required");
		return PORTEN_ERR_USAGE;
	}
	if (cert_path != NULL && kid != NULL) {
		errf(err, errlen, "give a certificate or a kid, not both");
		return PORTEN_ERR_USAGE;
	}
	if (kid != NULL && (*kid == '\0' || strlen(kid) > PORTEN_KID_MAX)) {
		errf(err, errlen, "a kid has 1 to %d characters", PORTEN_KID_MAX);
		return PORTEN_ERR_USAGE;
	}
	if ((r = load_key(key_path, &cr->key, &jwk_kid, err, errlen)) != 0)
		goto out;
	if (cert_path != NULL) {
		if ((r = load_x5c(cert_path, cr->key, &cr->x5c, err, errlen)) != 0)
			goto out;
	} else if (kid != NULL || jwk_kid != NULL) {
		r = PORTEN_ERR_NOMEM;
		if ((cr->kid = strdup(kid != NULL ? kid : jwk_kid)) == NULL)
			goto out;
	} else {
		errf(err, errlen, "a certificate or the kid of a registered key is required");
		r = PORTEN_ERR_USAGE;
		goto out;
	}
	r = PORTEN_ERR_NOMEM;
	if ((cr->client_id = strdup(client_id)) == NULL)
		goto out;
	r = 0;
out:
	free(jwk_kid);
	if (r != 0)
		porten_client_credentials_clear(cr);
	return r;
}

static const char *
member_string(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

int
porten_client_credentials_from_json(struct porten_client_credentials *cr, const json_t *entry,
                                    char *err, size_t errlen)
{
	const char *client_id, *key, *cert, *kid, *orgno;
	const json_t *scopes, *s;
	size_t i;
	int r;

	memset(cr, 0, sizeof(*cr));
	if (!json_is_object(entry)) {
		errf(err, errlen, "the credentials entry is not an object");
		return PORTEN_ERR_INVALID;
	}
	client_id = member_string(entry, "client_id");
	key = member_string(entry, "private_key");
	cert = member_string(entry, "certificate");
	kid = cert == NULL ? member_string(entry, "kid") : NULL;
	if (client_id == NULL || key == NULL || (cert == NULL && kid == NULL)) {
		errf(err, errlen, "the credentials entry needs client_id, private_key and "
		     "certificate or kid");
		return PORTEN_ERR_INVALID;
	}
	if ((r = porten_client_credentials_load(cr, client_id, cert, key, kid, err, errlen)) != 0)
		return r == PORTEN_ERR_USAGE ? PORTEN_ERR_INVALID : r;
	r = PORTEN_ERR_NOMEM;
	if ((orgno = member_string(entry, "orgno")) != NULL && (cr->orgno = strdup(orgno)) == NULL)
		goto out;
	scopes = json_object_get(entry, "scopes");
	if (json_is_array(scopes)) {
		if ((cr->scopes = json_array()) == NULL)
			goto out;
		json_array_foreach(scopes, i, s)
			if (json_is_string(s) && json_array_append(cr->scopes, (json_t *)s) != 0)
				goto out;
	}
	r = 0;
out:
	if (r != 0)
		porten_client_credentials_clear(cr);
	return r;
}

void
porten_client_credentials_clear(struct porten_client_credentials *cr)
{
	if (cr == NULL)
		return;
	free(cr->client_id);
	porten_key_unref(cr->key);
	json_decref(cr->x5c);
	free(cr->kid);
	free(cr->orgno);
	json_decref(cr->scopes);
	memset(cr, 0, sizeof(*cr));
}

bool
porten_client_credentials_hold(const struct porten_client_credentials *cr, const char *scope)
{
	const json_t *s;
	size_t i;

	if (cr == NULL || cr->scopes == NULL)
		return false;
	json_array_foreach(cr->scopes, i, s)
		if (strcmp(json_string_value(s), scope) == 0)
			return true;
	return false;
}

int
porten_sandbox_load(const char *path, json_t **out, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *doc = NULL;
	int r;

	*out = NULL;
	if ((r = read_file("sandbox description", path, PORTEN_CLIENT_CONFIG_MAX, &data, &len, err,
	                   errlen)) != 0)
		return r;
	if ((doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		errf(err, errlen, "'%s' is not JSON (line %d: %s)", path, je.line, je.text);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	if (!json_is_object(doc) || member_string(doc, "authz_url") == NULL) {
		errf(err, errlen, "'%s' is not a sandbox description (no authz_url)", path);
		r = PORTEN_ERR_INVALID;
		goto out;
	}
	*out = doc;
	doc = NULL;
	r = 0;
out:
	json_decref(doc);
	free(data);
	return r;
}
