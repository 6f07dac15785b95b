#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "http/metrics.h"

#define STATUS_MAX 600
#define CODES_MAX 64
#define CODE_LEN 32

static const double bucket_ms[] = { 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000 };
#define NBUCKETS (sizeof(bucket_ms) / sizeof(bucket_ms[0]))

struct histogram {
	_Atomic uint64_t buckets[NBUCKETS];
	_Atomic uint64_t count;
	_Atomic uint64_t sum_ns;
};

static _Atomic uint64_t by_status[STATUS_MAX];
static char code_names[CODES_MAX][CODE_LEN];
static _Atomic uint64_t by_code[CODES_MAX];
static _Atomic int ncodes;
static pthread_mutex_t code_lock = PTHREAD_MUTEX_INITIALIZER;
static struct histogram req_hist, token_hist;

static void
hist_add(struct histogram *h, int64_t ns)
{
	double ms = (double)ns / 1e6;

	for (size_t i = 0; i < NBUCKETS; i++)
		if (ms <= bucket_ms[i])
			atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, (uint64_t)(ns > 0 ? ns : 0), memory_order_relaxed);
}

static int
code_slot(const char *code)
{
	int n = atomic_load(&ncodes), i;

	for (i = 0; i < n; i++)
		if (strcmp(code_names[i], code) == 0)
			return i;
	pthread_mutex_lock(&code_lock);
	n = atomic_load(&ncodes);
	for (i = 0; i < n; i++)
		if (strcmp(code_names[i], code) == 0)
			break;
	if (i == n && n < CODES_MAX) {
		strncpy(code_names[n], code, CODE_LEN - 1);
		atomic_store(&ncodes, n + 1);
	} else if (i == n) {
		i = -1;
	}
	pthread_mutex_unlock(&code_lock);
	return i;
}

void
porten_metrics_request(int status, const char *code, int64_t latency_ns)
{
	int slot;

	if (status >= 0 && status < STATUS_MAX)
		atomic_fetch_add_explicit(&by_status[status], 1, memory_order_relaxed);
	if (code != NULL && code[0] != '\0' && (slot = code_slot(code)) >= 0)
		atomic_fetch_add_explicit(&by_code[slot], 1, memory_order_relaxed);
	hist_add(&req_hist, latency_ns);
}

void
porten_metrics_token(int64_t latency_ns)
{
	hist_add(&token_hist, latency_ns);
}

static int
render_hist(struct porten_buf *out, const char *prefix, const char *name, const char *help,
            struct histogram *h)
{
	int r = 0;

	r |= porten_buf_appendf(out, "# HELP %s_%s %s\n# TYPE %s_%s histogram\n", prefix, name, help,
	                        prefix, name);
	for (size_t i = 0; i < NBUCKETS; i++)
		r |= porten_buf_appendf(out, "%s_%s_bucket{le=\"%g\"} %llu\n", prefix, name,
		                        bucket_ms[i] / 1000.0,
		                        (unsigned long long)atomic_load(&h->buckets[i]));
	r |= porten_buf_appendf(out, "%s_%s_bucket{le=\"+Inf\"} %llu\n", prefix, name,
	                        (unsigned long long)atomic_load(&h->count));
	r |= porten_buf_appendf(out, "%s_%s_sum %.6f\n%s_%s_count %llu\n", prefix, name,
	                        (double)atomic_load(&h->sum_ns) / 1e9, prefix, name,
	                        (unsigned long long)atomic_load(&h->count));
	return r;
}

int
porten_metrics_render(struct porten_buf *out, const char *prefix)
{
	int r = 0, n;

	r |= porten_buf_appendf(out, "# HELP %s_requests_total HTTP responses by status.\n"
	                        "# TYPE %s_requests_total counter\n", prefix, prefix);
	for (int s = 0; s < STATUS_MAX; s++) {
		uint64_t v = atomic_load(&by_status[s]);
		if (v)
			r |= porten_buf_appendf(out, "%s_requests_total{status=\"%d\"} %llu\n", prefix, s,
			                        (unsigned long long)v);
	}
	r |= porten_buf_appendf(out, "# HELP %s_errors_total Error responses by application code.\n"
	                        "# TYPE %s_errors_total counter\n", prefix, prefix);
	n = atomic_load(&ncodes);
	for (int i = 0; i < n; i++)
		r |= porten_buf_appendf(out, "%s_errors_total{code=\"%s\"} %llu\n", prefix, code_names[i],
		                        (unsigned long long)atomic_load(&by_code[i]));
	r |= render_hist(out, prefix, "request_duration_seconds", "Time to answer a request.", &req_hist);
	r |= render_hist(out, prefix, "token_issuance_seconds", "Time to issue an access token.",
	                 &token_hist);
	return r ? -4 : 0;
}
