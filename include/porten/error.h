/* One error enum for the whole library. Internal functions return 0 or a negative
 * porten_err; the edges (HTTP handlers, CLI) map these once to wire errors. */
#ifndef PORTEN_ERROR_H
#define PORTEN_ERROR_H

typedef enum porten_err {
	PORTEN_OK = 0,
	PORTEN_ERR_INTERNAL = -1,    /* a bug or an unexpected library failure */
	PORTEN_ERR_NOMEM = -2,
	PORTEN_ERR_INVALID = -3,     /* malformed input */
	PORTEN_ERR_TOO_LARGE = -4,   /* input past a named limit */
	PORTEN_ERR_NOT_FOUND = -5,
	PORTEN_ERR_EXISTS = -6,      /* unique key taken; replayed jti */
	PORTEN_ERR_IO = -7,          /* file or socket */
	PORTEN_ERR_CRYPTO = -8,      /* OpenSSL failure that is not the caller's fault */
	PORTEN_ERR_SIGNATURE = -9,   /* a signature did not verify */
	PORTEN_ERR_CERT = -10,       /* certificate untrusted, expired, revoked, wrong profile */
	PORTEN_ERR_UNAVAILABLE = -11,/* backend (database) unavailable: retry later */
	PORTEN_ERR_CONFLICT = -12,   /* state forbids the change */
	PORTEN_ERR_PASSWORD = -13,   /* wrong password for a key store */
	PORTEN_ERR_USAGE = -14,      /* bad command-line usage */
	PORTEN_ERR_REFUSED = -15,    /* a server answered with an error status (client side) */
} porten_err;

/* A short lowercase English phrase for err, never NULL. */
const char *porten_strerror(int err);

#endif
