/* leaky_server.c — the demo target: a small HTTP service with a leak.
 *
 *   leaky-server [--port N] [--cache-mb N]
 *
 * Serves on 127.0.0.1 only, through libmicrohttpd's single internal thread
 * (requests are handled one at a time; a running /oom blocks the others).
 *   GET /             200, allocates and frees a page buffer (process_normal)
 *   GET /leak?mb=N    leaks N MiB, default 1, 1..4096 (process_leak)
 *   GET /dump         writes a heap profile, answers its path (process_dump)
 *   GET /oom          allocates until the kernel kills it (process_oom_burst)
 *   GET /cache?mb=N   adds N MiB to a FIFO cache capped at --cache-mb, default
 *                     1, 1..cap (cache_insert)
 * Bad query values give 400, unknown paths 404, other methods 405.
 * One log line per request on stderr: "METHOD URI" STATUS BYTES.
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread and taken by the
 * main thread with sigwait: it stops the server, frees the cache, exits 0.
 *
 * EXIT STATUS: 0 after SIGTERM/SIGINT or --help; 1 when the server cannot
 * start; 2 on bad usage.
 */
#include "handlers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#define PROG "leaky-server"
#define LEAK_MAX_MB 4096ULL
#define CACHE_MAX_MB (64ULL * 1024ULL)
#define URI_LOG_MAX 256

struct options {
        unsigned long long port;
        unsigned long long cache_mb;
};

/* Per request, created by the URI log callback, freed when MHD is done. */
struct request {
        bool seen;                      /* first access-handler call done */
        char uri[URI_LOG_MAX + 1];      /* as sent, printable ASCII only */
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: " PROG " [--port N] [--cache-mb N]\n"
                "Demo HTTP service on 127.0.0.1 that leaks memory on request.\n"
                "\n"
                "  -p, --port N      TCP port, 0 for any free one (default 8080)\n"
                "  -c, --cache-mb N  cap of the /cache FIFO in MiB (default 32)\n"
                "  -h, --help        show this help\n"
                "\n"
                "Endpoints: GET /  /leak?mb=N  /dump  /oom  /cache?mb=N\n"
                "Heap profiling: run with MALLOC_CONF=prof:true,prof_prefix:DIR/NAME\n");
}

/* Decimal digits only (no sign, no spaces), within [min, max].
 * Returns 0 and sets *ret, or -EINVAL / -ERANGE leaving *ret untouched. */
static int parse_ull(const char *s, unsigned long long min, unsigned long long max,
                     unsigned long long *ret)
{
        unsigned long long v;
        char *end;

        if (!s || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (*end != '\0')
                return -EINVAL;
        if (errno == ERANGE || v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* Returns 0 to run, 1 for --help (done), -EINVAL on bad usage (reported). */
static int parse_args(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {
                { "port", required_argument, NULL, 'p' },
                { "cache-mb", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        while ((c = getopt_long(argc, argv, "p:c:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        if (parse_ull(optarg, 0, 65535, &o->port) < 0) {
                                fprintf(stderr, PROG ": --port: '%s' is not a port (0..65535)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case 'c':
                        if (parse_ull(optarg, 1, CACHE_MAX_MB, &o->cache_mb) < 0) {
                                fprintf(stderr, PROG ": --cache-mb: '%s' is not a size in MiB "
                                        "(1..%llu)\n", optarg, CACHE_MAX_MB);
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 1;
                default:
                        return -EINVAL;         /* getopt printed why */
                }
        }
        if (optind < argc) {
                fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

/* Reads ?mb=N: absent gives def, anything else must lie in [1, max]. */
static int query_mb(struct MHD_Connection *con, unsigned long long def,
                    unsigned long long max, unsigned long long *ret)
{
        const char *v = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "mb");

        if (!v) {
                *ret = def;
                return 0;
        }
        return parse_ull(v, 1, max, ret);
}

static unsigned long long cache_cap_mb;

static void route(struct MHD_Connection *con, const char *method, const char *url,
                  struct reply *r)
{
        unsigned long long mb;

        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
                reply_set(r, 405, "only GET is supported\n");
        } else if (strcmp(url, "/") == 0) {
                process_normal(r);
        } else if (strcmp(url, "/leak") == 0) {
                if (query_mb(con, 1, LEAK_MAX_MB, &mb) < 0)
                        reply_set(r, 400, "mb must be a whole number of MiB in 1..%llu\n",
                                  LEAK_MAX_MB);
                else
                        process_leak(r, mb);
        } else if (strcmp(url, "/dump") == 0) {
                process_dump(r);
        } else if (strcmp(url, "/oom") == 0) {
                fprintf(stderr, PROG ": /oom: allocating until killed\n");
                process_oom_burst(r);
        } else if (strcmp(url, "/cache") == 0) {
                if (query_mb(con, 1, cache_cap_mb, &mb) < 0)
                        reply_set(r, 400, "mb must be a whole number of MiB in 1..%llu "
                                  "(the cache cap)\n", cache_cap_mb);
                else
                        cache_insert(r, mb);
        } else {
                reply_set(r, 404, "no such endpoint; try / /leak?mb=N /dump /oom /cache?mb=N\n");
        }
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
        struct request *req = calloc(1, sizeof(*req));
        size_t i;

        (void)cls;
        (void)con;
        if (!req)
                return NULL;
        for (i = 0; uri[i] && i < URI_LOG_MAX; i++)
                req->uri[i] = uri[i] > 0x20 && uri[i] < 0x7f ? uri[i] : '?';
        return req;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
        (void)cls;
        (void)con;
        (void)toe;
        free(*req_cls);
        *req_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
        struct request *req = *req_cls;
        struct MHD_Response *resp;
        struct reply r;
        enum MHD_Result ok;

        (void)cls;
        (void)version;
        (void)upload_data;
        if (!req)
                return MHD_NO;          /* out of memory in on_uri: drop it */
        if (!req->seen || *upload_data_size != 0) {
                /* Headers only, or a body we ignore: answer once it is read. */
                req->seen = true;
                *upload_data_size = 0;
                return MHD_YES;
        }
        route(con, method, url, &r);
        resp = MHD_create_response_from_buffer(r.len, r.body, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
        ok = MHD_queue_response(con, r.status, resp);
        MHD_destroy_response(resp);
        fprintf(stderr, PROG ": \"%s %s\" %u %zu\n", method, req->uri, r.status, r.len);
        return ok;
}

int main(int argc, char **argv)
{
        struct options o = { .port = 8080, .cache_mb = 32 };
        struct sockaddr_in addr = { .sin_family = AF_INET };
        const union MHD_DaemonInfo *info;
        struct MHD_Daemon *daemon;
        sigset_t stop;
        int r, sig, prof;

        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        /* Before any thread exists, so every thread inherits the mask. */
        pthread_sigmask(SIG_BLOCK, &stop, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = parse_args(argc, argv, &o);
        if (r > 0)
                return 0;
        if (r < 0) {
                usage(stderr);
                return 2;
        }
        cache_cap_mb = o.cache_mb;
        cache_set_cap_mb(o.cache_mb);
        prof = handlers_init();

        addr.sin_port = htons((uint16_t)o.port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                  (uint16_t)o.port, NULL, NULL, on_request, NULL,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                  MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                  MHD_OPTION_END);
        if (!daemon) {
                fprintf(stderr, PROG ": cannot listen on 127.0.0.1:%llu (port in use?)\n", o.port);
                return 1;
        }
        info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
        fprintf(stderr, PROG ": listening on http://127.0.0.1:%u (pid %d, cache cap %llu MiB, "
                "heap profiling %s)\n", info ? info->port : (unsigned)o.port, (int)getpid(),
                o.cache_mb, prof ? "on" : "off");

        do
                r = sigwait(&stop, &sig);
        while (r != 0);

        fprintf(stderr, PROG ": SIG%s received, shutting down\n", sigabbrev_np(sig));
        MHD_stop_daemon(daemon);
        handlers_cleanup();
        return 0;
}
