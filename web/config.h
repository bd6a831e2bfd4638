/* config.h - what `heapwatch serve` is told to do: a YAML file in the shape of Parca's
 * and Prometheus's scrape config (scrape_configs, static_configs, file_sd_configs,
 * basic_auth, authorization, tls_config, profiling_config.pprof_config) plus
 * heapwatch's own storage and limits, or the same built from flags. One struct owns
 * every string it points to; config_free() drops it. */
#ifndef HW_CONFIG_H
#define HW_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "hw_err.h"

struct kv {
    char *key, *value;
};

struct kvlist {
    struct kv *v;
    size_t n;
};

/* Frees every pair and leaves l empty. */
void kvlist_clear(struct kvlist *l);
/* dst (whose old contents are not freed) becomes a deep copy of src; on failure it is
 * left empty. */
enum hw_err kvlist_copy(struct kvlist *dst, const struct kvlist *src);

struct tls_cfg {
    char *ca_file, *cert_file, *key_file, *server_name; /* NULL when unset */
    bool insecure_skip_verify;
};

/* basic_auth {username, password | password_file}; authorization {type, credentials |
 * credentials_file} (bearer_token / bearer_token_file fill the same fields with type
 * "Bearer"). Files are read when a request is built, so a rotated token is picked up. */
struct auth_cfg {
    char *username, *password, *password_file;
    char *auth_type; /* "Bearer" when credentials are set and no type is given */
    char *credentials, *credentials_file;
};

/* One profile type to scrape: profiling_config.pprof_config.<name>. */
struct ptype_cfg {
    char *name; /* "heap", "allocs", "goroutine", or any other key */
    char *path; /* "/debug/pprof/heap" ... */
    bool enabled;
    long interval_ms; /* 0: the job's */
};

struct static_cfg {
    char **targets; /* "host:port" */
    size_t ntargets;
    struct kvlist labels;
};

struct file_sd_cfg {
    char **files; /* paths; the last component may be a glob(3) pattern */
    size_t nfiles;
    long refresh_ms; /* refresh_interval, default 5 min; files are also re-read when their
                      * mtime changes, checked on every schedule tick */
};

struct job_cfg {
    char *name;              /* job_name, unique */
    long interval_ms;        /* scrape_interval (job's, else global's, else 15 s) */
    long timeout_ms;         /* scrape_timeout (default 10 s, never above interval) */
    char *scheme;            /* "http" or "https" */
    char *path_prefix;       /* profiling_config.path_prefix, "" when unset */
    struct kvlist params;    /* query parameters added to every URL */
    struct static_cfg *statics;
    size_t nstatics;
    struct file_sd_cfg *file_sds;
    size_t nfile_sds;
    struct auth_cfg auth;
    struct tls_cfg tls;
    struct ptype_cfg *ptypes; /* the defaults heap, allocs, goroutine unless overridden */
    size_t nptypes;
};

struct storage_cfg {
    char *path;              /* default "./data" */
    int64_t retention_ms;    /* 0: keep forever (default 24 h) */
    int64_t retention_count; /* 0: no limit; per target and profile type */
    int64_t retention_bytes; /* 0: no limit; per target and profile type */
};

struct limits_cfg {
    size_t max_body_bytes;    /* default 64 MiB */
    size_t max_decoded_bytes; /* default 512 MiB */
};

/* global: the defaults of jobs that do not set their own (and of the flag job). */
struct global_cfg {
    long interval_ms; /* scrape_interval, default 15 s */
    long timeout_ms;  /* scrape_timeout, default 10 s, never above interval */
};

struct config {
    char *path;    /* the file it came from, NULL when built from flags */
    char *listen;  /* default "127.0.0.1:7070" */
    struct storage_cfg storage;
    struct limits_cfg limits;
    struct job_cfg *jobs;
    size_t njobs;
    struct global_cfg global; /* added last so that existing initialisers stay valid */
};

/* A config with every default set and no jobs. NULL when out of memory. */
struct config *config_new(void);
void config_free(struct config *c);

/* Parses YAML text (name is used in messages: "FILE:LINE: ..."). Unknown keys, wrong
 * types, bad durations ("15s", "1m30s", "2h", "500ms") and sizes ("64MiB", "1GB",
 * plain bytes), duplicate job names and a timeout above its interval are errors that
 * name the file and line. Aliases (*name) are rejected. c->path stays NULL (only
 * config_load sets it); relative file_sd paths are taken relative to the directory of
 * c->path when it is set, else to the working directory.
 *
 * Labels whose names start with "__" are meta labels, as in Prometheus: they are not
 * part of a target's labels. "__name__" names the target (flag targets use it; give it
 * to an entry with one target, as targets of the same name are dropped but the first),
 * "__scheme__" and "__path_prefix__" override the job's scheme and path prefix for
 * the targets of that static_configs entry or file_sd group. */
enum hw_err config_parse(const char *text, size_t len, const char *name, struct config **out,
                         struct errbuf *eb);
/* Reads and parses a file (at most 16 MiB); sets c->path. */
enum hw_err config_load(const char *path, struct config **out, struct errbuf *eb);
/* A deep copy of c, secrets included (config_print hides them, so print and parse do not
 * copy a config). NULL when out of memory, or when c was changed by hand into something
 * config_parse refuses. */
struct config *config_dup(const struct config *c);

/* Adds a target given as a flag: "NAME=URL" or just "URL" (named by host:port), e.g.
 * "api=http://127.0.0.1:6060". Flag targets form the job "heapwatch"; the URL's scheme,
 * host:port and path prefix (anything before /debug/pprof) are kept: each flag target is
 * one static_configs entry of that job, named by a "__name__" label, with "__scheme__"
 * and "__path_prefix__" labels when they differ from the job's (so config_print shows
 * them). The job is made on first use with the global interval and timeout, unless the
 * file has one of that name. HW_USAGE for a bad spec or a NAME given twice. */
enum hw_err config_add_flag_target(struct config *c, const char *spec, struct errbuf *eb);
/* Parses a duration ("15s") or a size ("64MiB") as the config file does; HW_BADDATA
 * when malformed, negative or too large. */
enum hw_err config_parse_duration(const char *s, int64_t *ms);
enum hw_err config_parse_size(const char *s, int64_t *bytes);

/* The effective config as YAML that config_parse reads back to the same config
 * (defaults filled in, secrets shown as "<secret>"). */
enum hw_err config_print(const struct config *c, struct buf *out);

/* One scrape target after service discovery: a job's address with its labels. */
struct target_def {
    char *name;           /* the target's name: the flag's NAME, else "JOB/ADDRESS" */
    char *address;        /* "host:port" */
    const struct job_cfg *job; /* points into the config it was expanded from */
    struct kvlist labels; /* "job", "instance" and the static or file_sd labels, sorted by key */
    /* The job's scheme and path prefix, or the target's own from the "__scheme__" and
     * "__path_prefix__" meta labels; owned. NULL (as in a hand-made target_def) means
     * the job's. Added last so that existing initialisers stay valid. */
    char *scheme, *path_prefix;
};

struct target_set {
    struct target_def *v;
    size_t n;
};

/* Expands every job's static_configs and file_sd_configs (JSON or YAML target files,
 * each a list of {targets: [...], labels: {...}}) into one target list, sorted by name,
 * duplicates removed. A file that cannot be read or parsed is reported in eb and
 * skipped (the other targets are still returned; the return value is then HW_OK and
 * *nwarnings counts the files skipped). */
enum hw_err config_expand(const struct config *c, struct target_set *out, size_t *nwarnings,
                          struct errbuf *eb);
/* Frees what the set holds and leaves it empty (the struct itself is the caller's). */
void target_set_free(struct target_set *s);

/* The URL of profile type pt of target t: scheme://address + path_prefix + path, with
 * the job's params as a query string (escaped). Caller frees. NULL on out of memory. */
char *config_target_url(const struct target_def *t, const struct ptype_cfg *pt);

/* The newest mtime in ms among the file_sd files of every job and the directories
 * that hold them (so that a file appearing, vanishing or renamed into place is noticed
 * too), 0 when none. */
int64_t config_sd_mtime(const struct config *c);
#endif
