/* tests/pg helpers (pgtest.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "porten/rand.h"
#include "pgtest.h"

const char *
pgt_server(void)
{
	const char *u = getenv("PORTEN_TEST_PG");

	if (u == NULL || u[0] == '\0') {
		printf("skipped: set PORTEN_TEST_PG to a PostgreSQL URI (bash scripts/pg-cluster.sh start DIR)\n");
		exit(PGT_SKIP);
	}
	return u;
}

int
pgt_exec(const char *uri, const char *sql)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	int rc = -1;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pgtest: cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
		rc = 0;
	else
		fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* Percent-encodes s onto out. */
static void
append_enc(char *out, size_t n, const char *s)
{
	size_t len = strlen(out);

	for (; *s != '\0' && len + 4 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '/' || c == '~')
			out[len++] = (char)c;
		else
			len += (size_t)snprintf(out + len, n - len, "%%%02X", c);
	}
	out[len] = '\0';
}

/* uri with its database replaced by db. */
static int
uri_with_db(const char *admin_uri, const char *db, char *uri, size_t n)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;
	int first = 1;

	if ((opts = PQconninfoParse(admin_uri, &err)) == NULL) {
		fprintf(stderr, "pgtest: bad PORTEN_TEST_PG: %s", err ? err : "?");
		PQfreemem(err);
		return -1;
	}
	snprintf(uri, n, "postgresql:///");
	append_enc(uri, n, db);
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0' || strcmp(o->keyword, "dbname") == 0)
			continue;
		strncat(uri, first ? "?" : "&", n - strlen(uri) - 1);
		append_enc(uri, n, o->keyword);
		strncat(uri, "=", n - strlen(uri) - 1);
		append_enc(uri, n, o->val);
		first = 0;
	}
	PQconninfoFree(opts);
	return strlen(uri) + 1 < n ? 0 : -1;
}

const char *
pgt_db_name(const char *uri)
{
	static char name[128];
	PQconninfoOption *opts, *o;

	name[0] = '\0';
	if ((opts = PQconninfoParse(uri, NULL)) == NULL)
		return name;
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "dbname") == 0 && o->val != NULL)
			snprintf(name, sizeof(name), "%s", o->val);
	PQconninfoFree(opts);
	return name;
}

int
pgt_db_create(const char *admin_uri, char *uri, size_t n)
{
	char hex[17], db[32], sql[128];

	if (porten_random_hex(hex, 8) != 0)
		return -1;
	snprintf(db, sizeof(db), "porten_t_%s", hex);
	/* UTF8 whatever the template's encoding; template0 takes any. */
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", db);
	if (pgt_exec(admin_uri, sql) != 0)
		return -1;
	return uri_with_db(admin_uri, db, uri, n);
}

int
pgt_db_drop(const char *admin_uri, const char *uri)
{
	char sql[192];
	const char *db = pgt_db_name(uri);

	if (strncmp(db, "porten_t_", 9) != 0 || strspn(db + 9, "0123456789abcdef") != strlen(db + 9))
		return -1;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
	return pgt_exec(admin_uri, sql);
}

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int
pgt_http_connect(unsigned port)
{
	struct sockaddr_in sa;
	struct timeval tv = { 60, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
pgt_http_send(int fd, const char *method, const char *path, const char *ctype, const char *body)
{
	size_t blen = body ? strlen(body) : 0, hn, off = 0;
	char *req;
	int n;

	hn = 256 + strlen(path) + (ctype ? strlen(ctype) : 0);
	if ((req = malloc(hn + blen)) == NULL)
		return -1;
	n = snprintf(req, hn, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	             "%s%s%sContent-Length: %zu\r\n\r\n", method, path, ctype ? "Content-Type: " : "",
	             ctype ? ctype : "", ctype ? "\r\n" : "", blen);
	if (n < 0 || (size_t)n >= hn) {
		free(req);
		return -1;
	}
	memcpy(req + n, body ? body : "", blen);
	for (size_t len = (size_t)n + blen; off < len;) {
		ssize_t w = write(fd, req + off, len - off);

		if (w <= 0) {
			free(req);
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	free(req);
	return 0;
}

int
pgt_http_recv(int fd, int *status, char **body)
{
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap), *p;
	ssize_t n;

	*body = NULL;
	*status = 0;
	if (buf == NULL) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	if (n < 0 || sscanf(buf, "HTTP/1.%*d %d", status) != 1 || (p = strstr(buf, "\r\n\r\n")) == NULL) {
		free(buf);
		return -1;
	}
	memmove(buf, p + 4, strlen(p + 4) + 1);
	*body = buf;
	return 0;
}
