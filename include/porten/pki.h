/* A test PKI for integrators and tests (porten pki): root CA, intermediate CA and
 * enterprise certificates in the SEID 2.0 profile, plus deliberately broken variants.
 * Also the local TLS CA and server certificate the servers generate when none is given.
 *
 * On-disk layout under a PKI directory:
 *   root.pem root-key.pem                 test root CA ("porten Test Root CA")
 *   intermediate.pem intermediate-key.pem issuing CA ("porten Test Business CA")
 *   foreign-root.pem foreign-root-key.pem an unrelated CA, for "foreign CA" variants
 *   crl.pem                               CRLs of root and intermediate (PEM, both)
 *   revoked.txt                           serial numbers revoked by the intermediate
 *   serial                                next serial number
 * Private keys are written with mode 0600. */
#ifndef PORTEN_PKI_H
#define PORTEN_PKI_H

#include <stdint.h>
#include <jansson.h>
#include "porten/key.h"

/* The test policy OID porten pki puts in enterprise certificates (in SEID test list). */
#define PORTEN_PKI_TEST_POLICY "2.16.578.1.29.913.200.1.0"

enum porten_pki_variant {
	PORTEN_PKI_VALID = 0,          /* SEID 2.0: organizationIdentifier NTRNO-<orgno>, serialNumber, KU digitalSignature (critical) */
	PORTEN_PKI_NONREPUDIATION,     /* KU nonRepudiation only */
	PORTEN_PKI_ORGNO_SERIAL,       /* SEID 1.0 style: orgno only in serialNumber */
	PORTEN_PKI_ORGNO_O,            /* orgno only in O = "Name - 123456789" */
	PORTEN_PKI_EXPIRED,            /* notAfter in the past */
	PORTEN_PKI_NOT_YET_VALID,      /* notBefore in the future */
	PORTEN_PKI_ENCRYPTION_ONLY,    /* KU keyEncipherment only */
	PORTEN_PKI_SELF_SIGNED,        /* leaf signs itself */
	PORTEN_PKI_FOREIGN_CA,         /* issued by foreign-root */
	PORTEN_PKI_REVOKED,            /* valid, then revoked: serial added to the CRL */
	PORTEN_PKI_NO_ORGNO,           /* no organisation number anywhere */
	PORTEN_PKI_WRONG_POLICY,       /* policy OID outside the SEID lists */
	PORTEN_PKI_PROD_POLICY,        /* a SEID production policy OID */
	PORTEN_PKI_VARIANT_COUNT
};

/* "valid", "nonrepudiation", "orgno-serial", "orgno-o", "expired", "not-yet-valid",
 * "encryption-only", "self-signed", "foreign-ca", "revoked", "no-orgno", "wrong-policy",
 * "prod-policy". */
const char *porten_pki_variant_name(enum porten_pki_variant v);
int porten_pki_variant_from_name(const char *name);   /* -1 if unknown */

/* Creates the CAs and an empty CRL in dir if they do not exist yet (idempotent). */
int porten_pki_init(const char *dir);

struct porten_pki_leaf {
	const char *orgno;             /* 9 digits (required except for NO_ORGNO) */
	const char *org_name;          /* O / CN; default "Test Organisation" */
	enum porten_pki_variant variant;
	int days;                      /* validity; default 1095 (3 years) */
	int key_bits;                  /* default 2048 */
	const char *p12_password;      /* NULL: no .p12 written */
};

/* Issues a leaf under dir's intermediate and writes
 *   <out_prefix>.pem (certificate), <out_prefix>-key.pem (0600), <out_prefix>-chain.pem
 *   (leaf + intermediate), and <out_prefix>.p12 (leaf, key, chain) when p12_password is set.
 * REVOKED also regenerates crl.pem. */
int porten_pki_issue(const char *dir, const struct porten_pki_leaf *leaf, const char *out_prefix);

/* Server TLS for dir (a data directory): creates, if missing, tls/ca.pem, tls/ca-key.pem,
 * tls/server.pem, tls/server-key.pem with SANs localhost, 127.0.0.1 and ::1 plus the given
 * extra host (may be NULL). Returns malloc'd absolute paths (any out may be NULL). */
int porten_pki_server_tls(const char *dir, const char *extra_host,
                          char **cert_path, char **key_path, char **ca_path);

/* A self-signed certificate for key (CN = cn, valid days), as standard base64 DER
 * (for the x5c of a published JWK). malloc'd. */
int porten_pki_self_signed_b64(const porten_key *key, const char *cn, int days, char **out);

/* Reads a PKCS#12 file: the private key and the leaf certificate's PEM.
 * PORTEN_ERR_PASSWORD on a wrong password. */
int porten_pki_read_p12(const char *path, const char *password, porten_key **key, char **cert_pem);

/* Standard base64 DER of every certificate in a PEM bundle, as a JSON array (x5c order). */
int porten_pki_pem_to_x5c(const char *pem, size_t len, json_t **out);

#endif
