/* spec/maskinporten.md 2.5, 9 and checklist 11 "Signatures and certificates". Every
 * certificate is issued in the group set-up, before the first server starts (the revoked
 * variant rewrites crl.pem, which servers load at start). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_A "974761076"
#define ORG_OTHER "889640782"
#define ORG_K "123456785"
#define ORG_PROVIDER "991825827"
#define CLIENT "crt-client"
#define SCOPE "crt:api"

#define TXT_MP120 "Invalid assertion. Client authentication failed. The JWT is signed with an invalid certificate."
#define TXT_MP121 "Invalid assertion. Client authentication failed. Expired key"
#define TXT_MP122 "Invalid JWT. Invalid organization number for client. Does not match certificate orgno"
#define TXT_MP124 "Invalid JWT signature"

static struct h_server *srv;        /* --cert-env test */
static struct h_cert *c_valid, *c_nonrep, *c_serial, *c_o, *c_orgid, *c_expired, *c_notyet, *c_enc,
                     *c_self, *c_foreign, *c_revoked, *c_noorg, *c_wrongpol, *c_prodpol, *c_other;
static struct h_key *k_fresh, *k_old, *k_expired;
static json_t *seed;

/* The JWK of key_of's key under kid, with x5c = cert_of's leaf. */
static json_t *
cert_jwk(const struct h_cert *key_of, const char *kid, const struct h_cert *cert_of)
{
	json_t *jwk = NULL;

	if (porten_key_to_jwk(key_of->key, kid, &jwk) != 0)
		h_fail("porten_key_to_jwk failed");
	json_object_set_new(jwk, "use", json_string("sig"));
	json_object_set_new(jwk, "alg", json_string("RS256"));
	json_object_set_new(jwk, "created", json_string(h_iso8601(h_T - 86400)));
	json_object_set(jwk, "x5c", cert_of->x5c_leaf);
	return jwk;
}

/* Signs with cert's private key under kid (the registered-key path). */
static char *
sign_kid_with(const struct h_cert *cert, const char *kid, const char *client_id)
{
	struct h_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.kid, sizeof(k.kid), "%s", kid);
	k.key = cert->key;
	k.evp = cert->evp;
	return h_sign_kid(&k, "RS256", h_claims(client_id, SCOPE));   /* h_claims keeps it already */
}

static int
group_setup(void **state)
{
	struct h_server_opts o = { 0 };

	h_init();
	c_valid = h_issue("valid", ORG_A, "valid");
	c_nonrep = h_issue("nonrep", ORG_A, "nonrepudiation");
	c_serial = h_issue("serial", ORG_A, "orgno-serial");
	c_o = h_issue("orgno-o", ORG_A, "orgno-o");
	c_orgid = h_issue_orgid_only("orgid-only", "NTRNO-" ORG_A);
	c_expired = h_issue("expired", ORG_A, "expired");
	c_notyet = h_issue("notyet", ORG_A, "not-yet-valid");
	c_enc = h_issue("enc", ORG_A, "encryption-only");
	c_self = h_issue("self", ORG_A, "self-signed");
	c_foreign = h_issue("foreign", ORG_A, "foreign-ca");
	c_revoked = h_issue("revoked", ORG_A, "revoked");
	c_noorg = h_issue("noorg", NULL, "no-orgno");
	c_wrongpol = h_issue("wrongpol", ORG_A, "wrong-policy");
	c_prodpol = h_issue("prodpol", ORG_A, "prod-policy");
	c_other = h_issue("other", ORG_OTHER, "valid");
	k_fresh = h_key_new("crt-fresh");
	k_old = h_key_new("crt-old-but-valid");
	k_expired = h_key_new("crt-expired");

	seed = h_seed_new();
	h_seed_scope(seed, SCOPE, ORG_PROVIDER, NULL);
	h_seed_access(seed, SCOPE, ORG_A, "APPROVED");
	h_seed_access(seed, SCOPE, ORG_K, "APPROVED");
	h_seed_client(seed, CLIENT, ORG_A, SCOPE, NULL);
	h_seed_client(seed, "crt-key-fresh", ORG_K, SCOPE,
	              json_pack("{s:{s:[o]}}", "jwks", "keys", h_key_jwk(k_fresh, "RS256", h_T - 86400)));
	/* 364 days: within the one-year key lifetime. */
	h_seed_client(seed, "crt-key-old", ORG_K, SCOPE,
	              json_pack("{s:{s:[o]}}", "jwks", "keys", h_key_jwk(k_old, "RS256", h_T - 364 * 86400)));
	/* 366 days: past it (MP-121). */
	h_seed_client(seed, "crt-key-expired", ORG_K, SCOPE,
	              json_pack("{s:{s:[o]}}", "jwks", "keys", h_key_jwk(k_expired, "RS256", h_T - 366 * 86400)));
	/* Registered keys locked to a certificate (JWK x5c): checked at run time (spec 2.5). */
	h_seed_client(seed, "crt-key-x5c-valid", ORG_A, SCOPE,
	              json_pack("{s:{s:[o]}}", "jwks", "keys", cert_jwk(c_valid, "crt-x5c-valid", c_valid)));
	h_seed_client(seed, "crt-key-x5c-revoked", ORG_A, SCOPE,
	              json_pack("{s:{s:[o]}}", "jwks", "keys", cert_jwk(c_revoked, "crt-x5c-revoked", c_revoked)));
	h_seed_client(seed, "crt-key-x5c-other", ORG_A, SCOPE,
	              json_pack("{s:{s:[o]}}", "jwks", "keys", cert_jwk(c_valid, "crt-x5c-other", c_other)));
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

static json_t *
claims(void)
{
	return h_claims(CLIENT, SCOPE);
}

/* Replaces the payload segment of a signed compact JWS. */
static const char *
swap_payload(const char *jwt, const json_t *payload)
{
	const char *d1 = strchr(jwt, '.'), *d2 = strrchr(jwt, '.');
	const char *p = h_dump(payload);

	return h_strf("%.*s.%s%s", (int)(d1 - jwt), jwt, h_b64url(p, strlen(p)), d2);
}

/* ---- signatures ---- */

/* Tampered payload -> MP-124 (certificate path and registered-key path). */
static void
tampered_payload_is_mp124(void **state)
{
	json_t *c = claims(), *c2 = json_deep_copy(c);
	const char *jwt = h_sign_x5c(c_valid, "RS256", c);

	h_keep_json(c2);
	json_object_set_new(c2, "scope", json_string(SCOPE " crt:other"));
	h_token_err(srv, swap_payload(jwt, c2), 400, "invalid_grant", "MP-124", TXT_MP124);

	c = h_claims("crt-key-fresh", SCOPE);
	jwt = h_sign_kid(k_fresh, "RS256", c);
	c2 = h_keep_json(json_deep_copy(c));
	json_object_set_new(c2, "exp", json_integer((json_int_t)(h_T + 119)));
	h_token_err(srv, swap_payload(jwt, c2), 400, "invalid_grant", "MP-124", TXT_MP124);
}

/* A corrupted signature, or a signature by another key than the x5c leaf's -> MP-124. */
static void
bad_signature_is_mp124(void **state)
{
	char *jwt = h_sign_x5c(c_valid, "RS256", claims());
	char *last = jwt + strlen(jwt) - 5;
	json_t *h;

	*last = *last == 'A' ? 'B' : 'A';
	h_token_err(srv, jwt, 400, "invalid_grant", "MP-124", TXT_MP124);

	/* x5c of c_valid, signed with c_other's key */
	h = h_keep_json(json_pack("{s:s,s:O}", "alg", "RS256", "x5c", c_valid->x5c_leaf));
	h_token_err(srv, h_sign_hdr(c_other->key, "RS256", h, claims()), 400, "invalid_grant", "MP-124", TXT_MP124);

	/* The header's alg must be the one the signature was made with. */
	h = h_keep_json(json_pack("{s:s,s:O}", "alg", "RS512", "x5c", c_valid->x5c_leaf));
	jwt = h_sign_hdr(c_valid->key, "RS512", h, claims());
	{
		json_t *h256 = h_keep_json(json_pack("{s:s,s:O}", "alg", "RS256", "x5c", c_valid->x5c_leaf));
		const char *hb = h_dump(h256);
		const char *d1 = strchr(jwt, '.');

		h_token_err(srv, h_strf("%s%s", h_b64url(hb, strlen(hb)), d1), 400, "invalid_grant", "MP-124", TXT_MP124);
	}
}

/* ---- registered keys ---- */

/* A registered key older than one year -> MP-121 with error_uri {issuer}errors/MP-121. */
static void
expired_registered_key_is_mp121(void **state)
{
	struct h_resp *r = h_post_token(srv, h_sign_kid(k_expired, "RS256", h_claims("crt-key-expired", SCOPE)));

	h_expect_error(srv, r, 400, "invalid_grant", "MP-121", TXT_MP121);
	H_ASSERT_STR(H_JSTR(r->json, "error_uri"), "https://test.maskinporten.no/errors/MP-121");
}

/* Keys within the year work. */
static void
registered_key_within_a_year_accepted(void **state)
{
	json_t *tok = h_token_ok(srv, h_sign_kid(k_fresh, "RS256", h_claims("crt-key-fresh", SCOPE)));

	H_ASSERT_STR(H_JSTR(tok, "client_amr"), "private_key_jwt");
	H_ASSERT_STR(H_JSTR(json_object_get(tok, "consumer"), "ID"), "0192:" ORG_K);
	h_token_ok(srv, h_sign_kid(k_old, "RS256", h_claims("crt-key-old", SCOPE)));
}

/* ---- environments ---- */

/* A test-policy certificate is accepted by the TEST configuration; a production-policy
 * certificate is refused there (MP-120). */
static void
test_cert_in_test_env(void **state)
{
	json_t *tok = h_token_ok(srv, h_sign_x5c(c_valid, "RS256", claims()));

	H_ASSERT_STR(H_JSTR(tok, "client_amr"), "virksomhetssertifikat");
	h_token_err(srv, h_sign_x5c(c_prodpol, "RS256", claims()), 400, "invalid_grant", "MP-120", TXT_MP120);
	h_token_err(srv, h_sign_x5c_chain(c_prodpol, "RS256", claims()), 400, "invalid_grant", "MP-120", TXT_MP120);
}

/* ... and vice versa in the PROD configuration. */
static void
prod_cert_in_prod_env(void **state)
{
	static const char *const extra[] = { NULL };
	struct h_server_opts o = { 0 };
	struct h_server *prod;

	o.seed = seed;
	o.cert_env = "prod";
	o.extra = extra;
	prod = h_server_start(&o);
	h_token_ok(prod, h_sign_x5c(c_prodpol, "RS256", claims()));
	h_token_err(prod, h_sign_x5c(c_valid, "RS256", claims()), 400, "invalid_grant", "MP-120", TXT_MP120);
	h_token_err(prod, h_sign_x5c_chain(c_valid, "RS256", claims()), 400, "invalid_grant", "MP-120", TXT_MP120);
	h_server_stop(prod);
}

/* ---- broken certificates: all MP-120 ---- */

static void
expect_mp120(const struct h_cert *c)
{
	h_token_err(srv, h_sign_x5c(c, "RS256", claims()), 400, "invalid_grant", "MP-120", TXT_MP120);
	h_token_err(srv, h_sign_x5c_chain(c, "RS256", claims()), 400, "invalid_grant", "MP-120", TXT_MP120);
}

static void
self_signed_is_mp120(void **state)
{
	expect_mp120(c_self);
}

static void
expired_cert_is_mp120(void **state)
{
	expect_mp120(c_expired);
}

static void
not_yet_valid_cert_is_mp120(void **state)
{
	expect_mp120(c_notyet);
}

static void
revoked_cert_is_mp120(void **state)
{
	expect_mp120(c_revoked);
}

static void
registered_key_with_valid_certificate_works(void **state)
{
	json_t *claims = h_expect_token(srv, h_post_token(srv, sign_kid_with(c_valid, "crt-x5c-valid",
	                                                                     "crt-key-x5c-valid")));

	assert_string_equal(json_string_value(json_object_get(claims, "client_amr")), "private_key_jwt");
}

static void
registered_key_with_revoked_certificate_is_mp120(void **state)
{
	h_token_err(srv, sign_kid_with(c_revoked, "crt-x5c-revoked", "crt-key-x5c-revoked"),
	            400, "invalid_grant", "MP-120", TXT_MP120);
}

static void
registered_key_whose_certificate_holds_another_key_is_mp120(void **state)
{
	h_token_err(srv, sign_kid_with(c_valid, "crt-x5c-other", "crt-key-x5c-other"),
	            400, "invalid_grant", "MP-120", TXT_MP120);
}

static void
policy_outside_allowed_set_is_mp120(void **state)
{
	expect_mp120(c_wrongpol);
}

static void
foreign_ca_is_mp120(void **state)
{
	expect_mp120(c_foreign);
}

/* No organisation number anywhere in the subject -> invalid certificate (9.2 step 4). */
static void
no_orgno_is_mp120(void **state)
{
	expect_mp120(c_noorg);
}

/* ---- organisation number extraction (9.2) ---- */

static void
expect_org_a(const struct h_cert *c)
{
	json_t *tok = h_token_ok(srv, h_sign_x5c(c, "RS256", claims()));

	H_ASSERT_STR(H_JSTR(json_object_get(tok, "consumer"), "ID"), "0192:" ORG_A);
}

/* SEID 1.0 style: orgno in serialNumber only. */
static void
orgno_from_serial_number(void **state)
{
	expect_org_a(c_serial);
}

/* organizationIdentifier NTRNO-<orgno> only. */
static void
orgno_from_organization_identifier(void **state)
{
	expect_org_a(c_orgid);
}

/* O = "Name - 123456789" only. */
static void
orgno_from_o(void **state)
{
	expect_org_a(c_o);
}

/* Certificate orgno != client_orgno -> MP-122. */
static void
orgno_mismatch_is_mp122(void **state)
{
	h_token_err(srv, h_sign_x5c(c_other, "RS256", claims()), 400, "invalid_grant", "MP-122", TXT_MP122);
	h_token_err(srv, h_sign_x5c_chain(c_other, "RS256", claims()), 400, "invalid_grant", "MP-122", TXT_MP122);
}

/* ---- key usage (9.3) ---- */

/* digitalSignature-only and nonRepudiation-only certificates are both accepted. */
static void
key_usage_digital_signature_and_nonrepudiation(void **state)
{
	expect_org_a(c_valid);
	expect_org_a(c_nonrep);
	h_token_ok(srv, h_sign_x5c_chain(c_nonrep, "RS256", claims()));
}

/* An encryption-only certificate is rejected (MP-120). */
static void
encryption_only_is_mp120(void **state)
{
	expect_mp120(c_enc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tampered_payload_is_mp124),
		cmocka_unit_test(bad_signature_is_mp124),
		cmocka_unit_test(expired_registered_key_is_mp121),
		cmocka_unit_test(registered_key_within_a_year_accepted),
		cmocka_unit_test(test_cert_in_test_env),
		cmocka_unit_test(prod_cert_in_prod_env),
		cmocka_unit_test(self_signed_is_mp120),
		cmocka_unit_test(expired_cert_is_mp120),
		cmocka_unit_test(not_yet_valid_cert_is_mp120),
		cmocka_unit_test(revoked_cert_is_mp120),
		cmocka_unit_test(registered_key_with_valid_certificate_works),
		cmocka_unit_test(registered_key_with_revoked_certificate_is_mp120),
		cmocka_unit_test(registered_key_whose_certificate_holds_another_key_is_mp120),
		cmocka_unit_test(policy_outside_allowed_set_is_mp120),
		cmocka_unit_test(foreign_ca_is_mp120),
		cmocka_unit_test(no_orgno_is_mp120),
		cmocka_unit_test(orgno_from_serial_number),
		cmocka_unit_test(orgno_from_organization_identifier),
		cmocka_unit_test(orgno_from_o),
		cmocka_unit_test(orgno_mismatch_is_mp122),
		cmocka_unit_test(key_usage_digital_signature_and_nonrepudiation),
		cmocka_unit_test(encryption_only_is_mp120),
	};

	return cmocka_run_group_tests_name("integration: signatures and certificates", tests, group_setup,
	                                   group_teardown);
}
