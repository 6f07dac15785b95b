/* TLS material for porten's servers (authz, freg): the given PEM files, or a certificate
 * generated under DATA/tls by porten_pki_server_tls. */
#ifndef PORTEN_SERVER_TLS_H
#define PORTEN_SERVER_TLS_H

/* Fills *cert_pem and *key_pem (malloc'd PEM text; the key is wiped by server_tls_free).
 * prog names the command in error lines ("porten authz"). Returns 0 or an exit status. */
int server_tls_load(const char *prog, const char *data, const char *host, const char *tls_cert,
                    const char *tls_key, char **cert_pem, char **key_pem);
void server_tls_free(char *cert_pem, char *key_pem);

#endif
