/* TLS material for porten's servers; see server_tls.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porten/buf.h"
#include "porten/error.h"
#include "porten/limits.h"
#include "porten/pki.h"
#include "commands.h"
#include "server_tls.h"

static int
read_text(const char *prog, const char *path, char **out, const char *what)
{
	size_t len;
	int r = porten_file_read(path, PORTEN_FILE_MAX, out, &len);

	if (r != 0)
		fprintf(stderr, "%s: cannot read %s '%s': %s\n", prog, what, path, porten_strerror(r));
	return r;
}

int
server_tls_load(const char *prog, const char *data, const char *host, const char *tls_cert,
                const char *tls_key, char **cert_pem, char **key_pem)
{
	char *cert_path = NULL, *key_path = NULL;
	int r, ex = 0;

	*cert_pem = *key_pem = NULL;
	if (tls_cert) {
		if (read_text(prog, tls_cert, cert_pem, "TLS certificate") || read_text(prog, tls_key, key_pem, "TLS key"))
			ex = PORTEN_EXIT_CONFIG;
	} else if ((r = porten_pki_server_tls(data, strcmp(host, "0.0.0.0") && strcmp(host, "::") ? host : NULL,
	                                      &cert_path, &key_path, NULL)) != 0) {
		fprintf(stderr, "%s: cannot create TLS certificate in '%s/tls': %s\n", prog, data, porten_strerror(r));
		ex = PORTEN_EXIT_CONFIG;
	} else if (read_text(prog, cert_path, cert_pem, "TLS certificate") ||
	           read_text(prog, key_path, key_pem, "TLS key")) {
		ex = PORTEN_EXIT_CONFIG;
	}
	free(cert_path);
	free(key_path);
	if (ex != 0) {
		server_tls_free(*cert_pem, *key_pem);
		*cert_pem = *key_pem = NULL;
	}
	return ex;
}

void
server_tls_free(char *cert_pem, char *key_pem)
{
	if (key_pem) {
		porten_wipe(key_pem, strlen(key_pem));
		free(key_pem);
	}
	free(cert_pem);
}
