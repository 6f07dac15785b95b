/* Compact JWS (RFC 7515) for RSASSA-PKCS1-v1_5: split, decode, verify and sign.
 * Parsing is pointer+length: the input need not be NUL-terminated. */
#ifndef PORTEN_JWS_H
#define PORTEN_JWS_H

#include <stddef.h>
#include <jansson.h>
#include "porten/key.h"

enum porten_jws_alg { PORTEN_JWS_INVALID = 0, PORTEN_JWS_RS256, PORTEN_JWS_RS384, PORTEN_JWS_RS512 };

/* Three base64url views into the compact serialisation. */
struct porten_jws_view {
	const char *header;  size_t header_len;
	const char *payload; size_t payload_len;
	const char *sig;     size_t sig_len;
	size_t signing_input_len;   /* header_len + 1 + payload_len: what the signature covers */
};

/* Exactly three non-empty segments separated by two dots, only base64url characters,
 * total length <= max. PORTEN_ERR_INVALID / PORTEN_ERR_TOO_LARGE otherwise. */
int porten_jws_split(const char *jws, size_t len, size_t max, struct porten_jws_view *v);

/* base64url-decode a segment (decoded size <= max) and parse it as a JSON object with
 * JSON_REJECT_DUPLICATES, depth <= PORTEN_JSON_DEPTH_MAX, no trailing data, no NUL bytes.
 * Returns PORTEN_ERR_INVALID for anything else, PORTEN_ERR_TOO_LARGE past max. */
int porten_jws_decode_json(const char *b64, size_t len, size_t max, json_t **out);

/* "RS256" -> PORTEN_JWS_RS256; anything else (none, HS*, PS*, ES*, lowercase) -> INVALID. */
enum porten_jws_alg porten_jws_alg_from_name(const char *name);
const char *porten_jws_alg_name(enum porten_jws_alg alg);

/* Verifies v->sig over the signing input with key (must be RSA). 0 when valid,
 * PORTEN_ERR_SIGNATURE when not (incl. wrong signature length), PORTEN_ERR_INVALID for a
 * non-RSA key. */
int porten_jws_verify(const struct porten_jws_view *v, enum porten_jws_alg alg, const porten_key *key);

/* Signs header and payload (dumped compact, keys in insertion order) into a malloc'd,
 * NUL-terminated compact JWS. The caller puts "alg" (and "kid") in the header. */
int porten_jws_sign(enum porten_jws_alg alg, const porten_key *key, const json_t *header,
                    const json_t *payload, char **out);

#endif
