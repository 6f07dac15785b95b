/* Process-wide request counters and latency histograms, rendered for Prometheus.
 * Lock-free on the hot path (atomics); codes are registered on first sight. */
#ifndef PORTEN_HTTP_METRICS_H
#define PORTEN_HTTP_METRICS_H

#include <stdint.h>
#include "porten/buf.h"

/* Every response: status and the application code ("MP-124", "" for none). */
void porten_metrics_request(int status, const char *code, int64_t latency_ns);
/* One issued access token and how long issuance took. */
void porten_metrics_token(int64_t latency_ns);
/* Prometheus text exposition format 0.0.4, with the given metric name prefix ("porten_authz"). */
int porten_metrics_render(struct porten_buf *out, const char *prefix);

#endif
