/* Every ceiling in porten has a name here. Anything that grows with input is bounded
 * by one of these; a value past a limit is refused with a 4xx, never truncated. */
#ifndef PORTEN_LIMITS_H
#define PORTEN_LIMITS_H

/* HTTP, before authentication */
#define PORTEN_HTTP_HEADER_MAX        (16 * 1024)   /* whole request header block */
#define PORTEN_HTTP_CONN_MEMORY       (32 * 1024)   /* libmicrohttpd per-connection pool (zeroed per request) */
#define PORTEN_HTTP_CONN_TIMEOUT_S    15            /* idle connection timeout */
#define PORTEN_HTTP_CONN_MAX          4096          /* concurrent connections */
#define PORTEN_HTTP_CONN_PER_IP_MAX   1024          /* concurrent connections from one IP */
#define PORTEN_HTTP_BODY_DEFAULT      (64 * 1024)   /* body limit of a route that names none */
#define PORTEN_HTTP_PATH_MAX          2048          /* request target length */
#define PORTEN_HTTP_QUERY_MAX         4096          /* query string length */

/* Token endpoint */
#define PORTEN_TOKEN_BODY_MAX         (64 * 1024)   /* form body of POST /token */
#define PORTEN_FORM_FIELDS_MAX        16            /* fields in one urlencoded form */
#define PORTEN_JWT_MAX                (48 * 1024)   /* compact JWS grant, bytes */
#define PORTEN_JWT_HEADER_MAX         (40 * 1024)   /* decoded JOSE header (x5c chain lives here) */
#define PORTEN_JWT_PAYLOAD_MAX        (8 * 1024)    /* decoded claims */
#define PORTEN_JWT_CLAIMS_MAX         32            /* members in the claims object */
#define PORTEN_JSON_DEPTH_MAX         16            /* nesting of any JSON we parse */
#define PORTEN_X5C_CERTS_MAX          5             /* certificates in one x5c array */
#define PORTEN_X5C_CERT_MAX           (8 * 1024)    /* one DER certificate */
#define PORTEN_X5C_CACHE_MAX          4096          /* verified chains kept by exact x5c bytes */
#define PORTEN_SCOPE_STRING_MAX       1024          /* the grant's scope claim */
#define PORTEN_SCOPES_PER_GRANT_MAX   32            /* scopes in one grant */
#define PORTEN_SCOPE_NAME_MAX         200           /* one scope name prefix:subscope */
#define PORTEN_RESOURCES_MAX          8             /* values of the resource claim */
#define PORTEN_RESOURCE_MAX           512           /* one resource value */
#define PORTEN_JTI_MAX                256           /* the grant's jti */
#define PORTEN_CLIENT_ID_MAX          128           /* a client_id */
#define PORTEN_KID_MAX                128           /* a key id */

/* Maskinporten rules (spec/maskinporten.md 2, 7.3, 10) */
#define PORTEN_GRANT_MAX_LIFETIME_S   120           /* exp - iat */
#define PORTEN_CLOCK_SKEW_S           10
#define PORTEN_CLIENT_KEYS_MAX        5
#define PORTEN_CLIENT_KEY_LIFETIME_S  (365 * 24 * 3600)
#define PORTEN_TOKEN_LIFETIME_DEFAULT 120           /* access token, seconds */
#define PORTEN_TOKEN_LIFETIME_MAX     86400         /* longest access token any setting can give */
#define PORTEN_RSA_MIN_BITS           2048
#define PORTEN_RSA_MAX_BITS           8192

/* Administration API (docs/admin-api.md) */
#define PORTEN_ADMIN_BODY_MAX         (64 * 1024)   /* JSON body of one admin request */
#define PORTEN_ADMIN_BEARER_MAX       (16 * 1024)   /* Authorization header value */
#define PORTEN_AUDIT_PAGE_DEFAULT     100
#define PORTEN_AUDIT_PAGE_MAX         1000
#define PORTEN_KEY_PUBLISH_AHEAD_DEFAULT 300        /* s a new signing key is published before it signs */
#define PORTEN_KEY_PUBLISH_AHEAD_MAX  86400
#define PORTEN_KEYRING_MAX            8             /* signing keys kept in the key directory */

/* Storage and the seed */
#define PORTEN_SEED_FILE_MAX          (16 * 1024 * 1024)
#define PORTEN_STORE_POOL_MAX         16            /* database connections per process */
#define PORTEN_STORE_LIST_MAX         100000        /* rows returned by one list call */
#define PORTEN_STORE_KEY_MAX          512           /* bytes in a document key */

/* Files read from disk (PEM bundles, CRLs, keys) */
#define PORTEN_FILE_MAX               (32 * 1024 * 1024)

/* Client (porten admin, token, feed, person: lib/client) */
#define PORTEN_CLIENT_RESPONSE_MAX    (16 * 1024 * 1024) /* body of one response */
#define PORTEN_CLIENT_HEADERS_MAX     (64 * 1024)   /* header block of one response */
#define PORTEN_CLIENT_CONNECT_TIMEOUT_MS 10000      /* TCP and TLS connect */
#define PORTEN_CLIENT_TIMEOUT_MS      30000         /* one whole exchange */
#define PORTEN_CLIENT_CONFIG_MAX      (1024 * 1024) /* sandbox.json, a JWK or JWK set file */
#define PORTEN_CLIENT_ERROR_TEXT_MAX  1024          /* error_description kept from a response */
#define PORTEN_TOKEN_CACHE_FILE_MAX   (64 * 1024)   /* one cached token response */
#define PORTEN_TOKEN_CACHE_MIN_LEFT_S 10            /* a cached token needs more than this left, */
#define PORTEN_TOKEN_CACHE_LEFT_DIV   10            /* and more than 1/10 of its lifetime */

/* Register: bearer tokens (lib/freg/tokencheck.c) */
#define PORTEN_BEARER_MAX             (16 * 1024)   /* access token after "Bearer ", bytes */
#define PORTEN_BEARER_HEADER_MAX      1024          /* decoded JOSE header of an access token */
#define PORTEN_BEARER_IAT_AHEAD_S     60            /* iat this far in the future is refused */
#define PORTEN_BEARER_CACHE_MAX       4096          /* verified tokens kept by SHA-256 until exp */
#define PORTEN_JWKS_MAX               (256 * 1024)  /* discovery document or JWKS response */
#define PORTEN_JWKS_KEYS_MAX          32            /* keys taken from one JWKS */
#define PORTEN_JWKS_REFRESH_MIN_S     10            /* at most one JWKS fetch this often */
#define PORTEN_JWKS_MAX_AGE_S         3600          /* refetch a JWKS older than this */
#define PORTEN_JWKS_TIMEOUT_MS        5000          /* one discovery or JWKS exchange */

/* Register: synthetic population (lib/freg/gen.c) */
#define PORTEN_GEN_PERSONS_MAX        10000000      /* persons in one generated population */
#define PORTEN_GEN_HOUSEHOLD_MAX      8             /* persons generated together (one household) */
#define PORTEN_GEN_TEXT_MAX           256           /* one composed text value (name, address line) */

/* Register: storage, feed and events (lib/freg/register.c, server.c, event.c) */
#define PORTEN_FREG_FEED_PAGE         1000          /* events per feed page (fixed, spec 2.1) */
#define PORTEN_FREG_RETENTION_MONTHS  36            /* feed and document retention (spec 9) */
#define PORTEN_FREG_INGEST_BATCH_MAX  10000         /* events in one ingest transaction */
#define PORTEN_FREG_PERSON_DOC_MAX    (1024 * 1024) /* one person document, JSON bytes */
#define PORTEN_FREG_EVENT_ENTRIES_MAX 64            /* egenskapshendelse items in one event */
#define PORTEN_FREG_TYPE_MAX          64            /* letters in one hendelsetype */
#define PORTEN_FREG_BULK_IDS_MAX      1000          /* ids in one bulkoppslag (spec 3.3, 9) */
#define PORTEN_FREG_BODY_MAX          (256 * 1024)  /* POST body of a register call */
#define PORTEN_FREG_INJECT_MAX        (1024 * 1024) /* one injected event, JSON bytes */
#define PORTEN_FREG_POOL_MAX          16            /* register database connections */
#define PORTEN_FREG_AUDIT_QUEUE_MAX   524288        /* audit records waiting for the writer */
#define PORTEN_FREG_AUDIT_FLUSH_MS    200           /* the writer commits at least this often */
#define PORTEN_FREG_AUDIT_BATCH_MAX   16384         /* audit records in one commit; the writer */
                                                    /* commits early once this many wait */
#define PORTEN_FREG_AUDIT_MERGE_ROWS  262144        /* audit records per run of the index */
                                                    /* by person (SQLite) */
#define PORTEN_FREG_AUDIT_PACK_MAX    1024          /* audit records in one row (SQLite) */
#define PORTEN_FREG_AUDIT_CACHE_KB    (64 * 1024)   /* SQLite page cache of the audit writer */
#define PORTEN_FREG_LAYOUT_FILL_MAX   1000          /* persons per layout-fill transaction */
#define PORTEN_FREG_LAYOUT_FILL_LOG   100000        /* persons between progress lines */
#define PORTEN_FREG_LAYOUT_FILL_RETRY_S 10          /* after a failed layout-fill batch */
#define PORTEN_FREG_PAGE_CACHE_MAX    256           /* rendered full feed pages kept */
#define PORTEN_FREG_RATE_DEFAULT      60000         /* requests per minute per IP (spec 9) */
#define PORTEN_FREG_RATE_IPS_MAX      65536         /* client addresses tracked for throttling */
#define PORTEN_FREG_DOC_GRACE_DAYS    90            /* documents past 3 years: 400, then purged */
#define PORTEN_FREG_PARTS_MAX         64            /* `part` values in one lookup */
#define PORTEN_FREG_UTTREKK_ORG_MAX   10            /* unfinished extract jobs per organisation (spec 5.3) */
#define PORTEN_FREG_UTTREKK_JOBS_MAX  1000          /* extract jobs kept in memory in all */
#define PORTEN_FREG_UTTREKK_ORG_KEEP  20            /* finished jobs kept per organisation (oldest go first) */
#define PORTEN_FREG_UTTREKK_BYTES_MAX ((size_t)1 << 30) /* result bytes of all kept jobs, and of one */
#define PORTEN_FREG_UTTREKK_KEEP_S    (24 * 3600)   /* a finished job's batches stay readable */
#define PORTEN_FREG_UTTREKK_RETRY_AFTER "60"        /* seconds, on the 11th concurrent job */
#define PORTEN_FREG_UTTREKK_BATCH_KOMPLETT  100000  /* ids per batch (spec 5.3, 2020 doc) */
#define PORTEN_FREG_UTTREKK_BATCH_TILPASSET 10000
#define PORTEN_FREG_SIMULATE_MAX      60000         /* --simulate events per minute */
/* Register: search (lib/freg/search.c, include/porten/freg_search.h) */
#define PORTEN_FREG_SEARCH_TEXT_MAX   200           /* bytes of one search criterion (navn, adressenavn) */
#define PORTEN_FREG_SEARCH_WORDS_MAX  16            /* words of one navn criterion; words indexed per name part */
#define PORTEN_FREG_SEARCH_WORD_MAX   100           /* bytes of one name word (longer words are not indexed) */
#define PORTEN_FREG_SEARCH_ESTIMATE   20000         /* index entries counted to choose soek's driving index */
#define PORTEN_FREG_SEARCH_REBUILD_BATCH 5000       /* persons per transaction when indexing an older register */
/* Logging */
#define PORTEN_LOG_LINE_MAX           2048
#define PORTEN_LOG_FIELD_MAX          200           /* one untrusted value in a log line */

#endif
