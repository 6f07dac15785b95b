#include "porten/error.h"

const char *
porten_strerror(int err)
{
	switch (err) {
	case PORTEN_OK: return "success";
	case PORTEN_ERR_INTERNAL: return "internal error";
	case PORTEN_ERR_NOMEM: return "out of memory";
	case PORTEN_ERR_INVALID: return "invalid input";
	case PORTEN_ERR_TOO_LARGE: return "input too large";
	case PORTEN_ERR_NOT_FOUND: return "not found";
	case PORTEN_ERR_EXISTS: return "already exists";
	case PORTEN_ERR_IO: return "input/output error";
	case PORTEN_ERR_CRYPTO: return "cryptographic library failure";
	case PORTEN_ERR_SIGNATURE: return "signature does not verify";
	case PORTEN_ERR_CERT: return "certificate not accepted";
	case PORTEN_ERR_UNAVAILABLE: return "backend unavailable";
	case PORTEN_ERR_CONFLICT: return "conflict";
	case PORTEN_ERR_PASSWORD: return "wrong password";
	case PORTEN_ERR_USAGE: return "bad usage";
	case PORTEN_ERR_REFUSED: return "refused by the server";
	}
	return "unknown error";
}
