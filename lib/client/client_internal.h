/* For lib/client only. */
#ifndef PORTEN_CLIENT_INTERNAL_H
#define PORTEN_CLIENT_INTERNAL_H

#include "porten/client.h"

/* Sets the one-line message porten_client_errmsg() returns. */
void porten_client_set_errmsg(porten_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
