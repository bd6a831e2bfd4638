/* test_config.c - config_parse on Prometheus/Parca-shaped YAML: the full example, Parca's
 * shape, defaults, every error path with its line, hostile input, the print/parse round
 * trip, flag targets, service discovery with real temp files, URLs and sd mtimes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"

static const char full_example[] =
    "# global section optional: scrape_interval / scrape_timeout defaults\n"
    "global: {scrape_interval: 15s, scrape_timeout: 10s}\n"
    "listen: 127.0.0.1:7070          # heapwatch's own\n"
    "storage: {path: ./data, retention_time: 24h, retention_count: 0, retention_bytes: 1GiB}\n"
    "limits: {max_body_bytes: 64MiB, max_decoded_bytes: 512MiB}\n"
    "scrape_configs:\n"
    "  - job_name: api\n"
    "    scrape_interval: 15s\n"
    "    scrape_timeout: 5s\n"
    "    scheme: http\n"
    "    params: {debug: [\"0\"]}\n"
    "    basic_auth: {username: u, password: p}\n"
    "    tls_config: {ca_file: a, cert_file: b, key_file: c, server_name: s, "
    "insecure_skip_verify: true}\n"
    "    static_configs:\n"
    "      - targets: [\"127.0.0.1:6060\", \"10.0.0.2:6060\"]\n"
    "        labels: {env: prod}\n"
    "    file_sd_configs:\n"
    "      - files: [\"targets/*.json\", \"more.yaml\"]\n"
    "        refresh_interval: 1m\n"
    "    profiling_config:\n"
    "      path_prefix: /svc\n"
    "      pprof_config:\n"
    "        heap: {enabled: true, path: /debug/pprof/heap}\n"
    "        allocs: {enabled: false}\n"
    "        goroutine: {enabled: true}\n"
    "        mutex: {enabled: true, path: /debug/pprof/mutex}\n"
    "  - job_name: tokens\n"
    "    authorization: {type: Bearer, credentials: xyz}\n"
    "    static_configs: [{targets: [\"[::1]:6060\"]}]\n"
    "  - job_name: legacy\n"
    "    bearer_token_file: /path\n"
    "    scheme: https\n"
    "    static_configs: [{targets: [\"host.example:443\"]}]\n";

static struct config *
parse_ok(const char *text)
{
    struct config *c = NULL;
    struct errbuf eb = {{0}};
    enum hw_err err = config_parse(text, strlen(text), "t.yaml", &c, &eb);

    if (err != HW_OK)
        fail_msg("config_parse: %s", errbuf_msg(&eb, err));
    assert_non_null(c);
    return c;
}

/* Parses n bytes expecting HW_BADDATA with want in the message. */
static void
fails_n(const char *text, size_t n, const char *want)
{
    struct config *c = (struct config *)&c; /* must be reset to NULL */
    struct errbuf eb = {{0}};
    enum hw_err err = config_parse(text, n, "t.yaml", &c, &eb);

    if (err != HW_BADDATA)
        fail_msg("want HW_BADDATA for <<%s>>, got %s (%s)", text, hw_strerror(err), eb.msg);
    assert_null(c);
    if (strstr(eb.msg, want) == NULL)
        fail_msg("want \"%s\" in \"%s\"", want, eb.msg);
}

static void
fails(const char *text, const char *want)
{
    fails_n(text, strlen(text), want);
}

static const struct ptype_cfg *
ptype(const struct job_cfg *j, const char *name)
{
    size_t i;

    for (i = 0; i < j->nptypes; i++)
        if (strcmp(j->ptypes[i].name, name) == 0)
            return &j->ptypes[i];
    return NULL;
}

static void
test_full_example(void **state)
{
    struct config *c = parse_ok(full_example);
    const struct job_cfg *j = &c->jobs[0];

    (void)state;
    assert_null(c->path);
    assert_int_equal(c->global.interval_ms, 15000);
    assert_int_equal(c->global.timeout_ms, 10000);
    assert_string_equal(c->listen, "127.0.0.1:7070");
    assert_string_equal(c->storage.path, "./data");
    assert_int_equal(c->storage.retention_ms, 24 * 3600 * 1000LL);
    assert_int_equal(c->storage.retention_bytes, 1LL << 30);
    assert_int_equal(c->limits.max_body_bytes, 64 << 20);
    assert_int_equal(c->limits.max_decoded_bytes, 512 << 20);
    assert_int_equal(c->njobs, 3);
    assert_string_equal(j->name, "api");
    assert_int_equal(j->interval_ms, 15000);
    assert_int_equal(j->timeout_ms, 5000);
    assert_string_equal(j->scheme, "http");
    assert_string_equal(j->path_prefix, "/svc");
    assert_int_equal(j->params.n, 1);
    assert_string_equal(j->params.v[0].key, "debug");
    assert_string_equal(j->params.v[0].value, "0");
    assert_string_equal(j->auth.username, "u");
    assert_string_equal(j->auth.password, "p");
    assert_null(j->auth.auth_type);
    assert_string_equal(j->tls.ca_file, "a");
    assert_string_equal(j->tls.cert_file, "b");
    assert_string_equal(j->tls.key_file, "c");
    assert_string_equal(j->tls.server_name, "s");
    assert_true(j->tls.insecure_skip_verify);
    assert_int_equal(j->nstatics, 1);
    assert_int_equal(j->statics[0].ntargets, 2);
    assert_string_equal(j->statics[0].targets[1], "10.0.0.2:6060");
    assert_int_equal(j->statics[0].labels.n, 1);
    assert_string_equal(j->statics[0].labels.v[0].key, "env");
    assert_string_equal(j->statics[0].labels.v[0].value, "prod");
    assert_int_equal(j->nfile_sds, 1);
    assert_int_equal(j->file_sds[0].nfiles, 2);
    assert_string_equal(j->file_sds[0].files[1], "more.yaml");
    assert_int_equal(j->file_sds[0].refresh_ms, 60000);
    assert_int_equal(j->nptypes, 4);
    assert_string_equal(j->ptypes[0].name, "heap");
    assert_string_equal(j->ptypes[1].name, "allocs");
    assert_false(j->ptypes[1].enabled);
    assert_string_equal(j->ptypes[1].path, "/debug/pprof/allocs");
    assert_string_equal(j->ptypes[2].name, "goroutine");
    assert_string_equal(j->ptypes[3].name, "mutex");
    assert_string_equal(j->ptypes[3].path, "/debug/pprof/mutex");
    assert_int_equal(j->ptypes[3].interval_ms, 0);
    config_free(c);
}

static void
test_auth_spellings(void **state)
{
    struct config *c = parse_ok(full_example);

    (void)state;
    assert_string_equal(c->jobs[1].auth.auth_type, "Bearer");
    assert_string_equal(c->jobs[1].auth.credentials, "xyz");
    assert_null(c->jobs[1].auth.credentials_file);
    assert_string_equal(c->jobs[1].statics[0].targets[0], "[::1]:6060");
    assert_string_equal(c->jobs[2].auth.auth_type, "Bearer");
    assert_string_equal(c->jobs[2].auth.credentials_file, "/path");
    assert_null(c->jobs[2].auth.credentials);
    assert_string_equal(c->jobs[2].scheme, "https");
    config_free(c);
    c = parse_ok("scrape_configs:\n- job_name: a\n  bearer_token: tok\n"
                 "- job_name: b\n  basic_auth: {username: u, password_file: /pw}\n");
    assert_string_equal(c->jobs[0].auth.credentials, "tok");
    assert_string_equal(c->jobs[0].auth.auth_type, "Bearer");
    assert_string_equal(c->jobs[1].auth.password_file, "/pw");
    assert_null(c->jobs[1].auth.password);
    config_free(c);
}

/* The shape of Parca's own parca.yaml: a job, its static targets, pprof_config with
 * Parca's keys (delta, memory, process_cpu with a path) and ignored Prometheus keys. */
static void
test_parca_example(void **state)
{
    struct config *c;
    const struct job_cfg *j;

    (void)state;
    c = parse_ok("scrape_configs:\n"
                 "  - job_name: \"default\"\n"
                 "    scrape_interval: \"3s\"\n"
                 "    metrics_path: /metrics\n"
                 "    honor_labels: true\n"
                 "    follow_redirects: true\n"
                 "    enable_http2: true\n"
                 "    relabel_configs:\n"
                 "      - source_labels: [__address__]\n"
                 "        target_label: instance\n"
                 "    static_configs:\n"
                 "      - targets: [ '127.0.0.1:7070' ]\n"
                 "    profiling_config:\n"
                 "      pprof_config:\n"
                 "        memory:\n"
                 "          enabled: true\n"
                 "          delta: true\n"
                 "        process_cpu:\n"
                 "          enabled: false\n"
                 "          path: /debug/pprof/profile\n"
                 "          normalized_addresses: true\n"
                 "        block: {}\n");
    j = &c->jobs[0];
    assert_string_equal(j->name, "default");
    assert_int_equal(j->interval_ms, 3000);
    assert_int_equal(j->timeout_ms, 3000); /* never above the interval */
    assert_string_equal(j->statics[0].targets[0], "127.0.0.1:7070");
    assert_int_equal(j->nptypes, 6);
    assert_string_equal(ptype(j, "memory")->path, "/debug/pprof/allocs");
    assert_true(ptype(j, "memory")->enabled);
    assert_false(ptype(j, "process_cpu")->enabled);
    assert_string_equal(ptype(j, "process_cpu")->path, "/debug/pprof/profile");
    assert_string_equal(ptype(j, "block")->path, "/debug/pprof/block");
    assert_true(ptype(j, "block")->enabled);
    assert_true(ptype(j, "heap")->enabled);
    config_free(c);
}

static void
test_defaults(void **state)
{
    struct config *c = config_new();
    const struct job_cfg *j;

    (void)state;
    assert_non_null(c);
    assert_string_equal(c->listen, "127.0.0.1:7070");
    assert_string_equal(c->storage.path, "./data");
    assert_int_equal(c->storage.retention_ms, 24 * 3600 * 1000LL);
    assert_int_equal(c->storage.retention_count, 0);
    assert_int_equal(c->storage.retention_bytes, 0);
    assert_int_equal(c->limits.max_body_bytes, 64 << 20);
    assert_int_equal(c->limits.max_decoded_bytes, 512 << 20);
    assert_int_equal(c->njobs, 0);
    config_free(c);
    c = parse_ok("scrape_configs:\n- job_name: x\n  static_configs: [{targets: [a:1]}]\n");
    j = &c->jobs[0];
    assert_int_equal(j->interval_ms, 15000);
    assert_int_equal(j->timeout_ms, 10000);
    assert_string_equal(j->scheme, "http");
    assert_string_equal(j->path_prefix, "");
    assert_int_equal(j->nptypes, 3);
    assert_string_equal(j->ptypes[0].path, "/debug/pprof/heap");
    assert_string_equal(j->ptypes[1].path, "/debug/pprof/allocs");
    assert_string_equal(j->ptypes[2].path, "/debug/pprof/goroutine");
    assert_true(j->ptypes[0].enabled && j->ptypes[1].enabled && j->ptypes[2].enabled);
    assert_int_equal(j->params.n, 0);
    assert_null(j->auth.username);
    assert_null(j->tls.ca_file);
    config_free(c);
    config_free(NULL);
    target_set_free(NULL);
}

static void
test_empty_documents(void **state)
{
    static const char *const texts[] = {
        "", "\n\n# only a comment\n", "---\n", "~\n", "null", "---\n...\n"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct config *c = parse_ok(texts[i]);

        assert_int_equal(c->njobs, 0);
        assert_string_equal(c->listen, "127.0.0.1:7070");
        config_free(c);
    }
}

static void
test_top_level_not_a_map(void **state)
{
    (void)state;
    fails("- a\n- b\n", "t.yaml:1: the top level must be a map, not a list");
    fails("just a string\n", "the top level must be a map, not a single value");
    fails("\"\"", "the top level must be a map");
    fails("a: 1\n---\nb: 2\n", "t.yaml:2: more than one YAML document");
}

static void
test_intervals(void **state)
{
    struct config *c;

    (void)state;
    c = parse_ok("scrape_configs:\n- job_name: a\n  scrape_interval: 5s\n"
                 "- job_name: b\n  scrape_interval: 1m\n"
                 "- job_name: c\n  scrape_interval: 1m\n  scrape_timeout: 1m\n");
    assert_int_equal(c->jobs[0].timeout_ms, 5000);
    assert_int_equal(c->jobs[1].timeout_ms, 10000);
    assert_int_equal(c->jobs[2].timeout_ms, 60000);
    config_free(c);
    /* Jobs take the global defaults, wherever global stands in the file. */
    c = parse_ok("scrape_configs:\n- job_name: a\n- job_name: b\n  scrape_interval: 2s\n"
                 "global: {scrape_interval: 30s, scrape_timeout: 20s, evaluation_interval: 1m,"
                 " external_labels: {a: b}}\n");
    assert_int_equal(c->global.interval_ms, 30000);
    assert_int_equal(c->jobs[0].interval_ms, 30000);
    assert_int_equal(c->jobs[0].timeout_ms, 20000);
    assert_int_equal(c->jobs[1].interval_ms, 2000);
    assert_int_equal(c->jobs[1].timeout_ms, 2000);
    config_free(c);
    c = parse_ok("global: {scrape_interval: 4s}\n");
    assert_int_equal(c->global.timeout_ms, 4000);
    config_free(c);
}

static void
test_timeout_above_interval(void **state)
{
    (void)state;
    fails("scrape_configs:\n- job_name: a\n  scrape_interval: 5s\n  scrape_timeout: 6s\n",
          "t.yaml:4: scrape_timeout 6s is above scrape_interval 5s in scrape_configs[0]");
    fails("global: {scrape_interval: 5s}\nscrape_configs:\n- job_name: a\n"
          "  scrape_timeout: 10s\n",
          "t.yaml:4: scrape_timeout 10s is above scrape_interval 5s");
    fails("global:\n  scrape_timeout: 20s\n", "t.yaml:2: global scrape_timeout is above");
    fails("global:\n  scrape_interval: 5s\n  scrape_timeout: 6s\n", "t.yaml:3:");
    fails("scrape_configs:\n- job_name: a\n  scrape_interval: 0s\n",
          "t.yaml:3: scrape_interval in scrape_configs[0] must be above 0");
    fails("scrape_configs:\n- job_name: a\n  scrape_timeout: 0s\n", "must be above 0");
    fails("scrape_configs:\n- job_name: a\n  scrape_timeout: 5s\n  profiling_config:\n"
          "    pprof_config: {heap: {scrape_interval: 1s}}\n",
          "scrape_interval of profile type heap in scrape_configs[0] is below scrape_timeout");
}

static void
test_unknown_key_line(void **state)
{
    (void)state;
    fails("scrape_configs:\n  - job_name: api\n    scrape_interval: 15s\n\n    foo: 1\n",
          "t.yaml:5: unknown key \"foo\" in scrape_configs[0]");
    fails("listen: a:1\nbar: 2\n", "t.yaml:2: unknown key \"bar\" in the top level");
    fails("scrape_configs:\n- job_name: a\n- job_name: b\n  tls_config:\n    ca: x\n",
          "t.yaml:5: unknown key \"ca\" in scrape_configs[1].tls_config");
    fails("scrape_configs:\n- job_name: a\n  profiling_config:\n    pprof_config:\n"
          "      heap:\n        seconds: 3\n",
          "t.yaml:6: unknown key \"seconds\" in "
          "scrape_configs[0].profiling_config.pprof_config.heap");
    fails("scrape_configs:\n- job_name: a\n  static_configs:\n  - targets: []\n  - targts: [a:1]\n",
          "t.yaml:5: unknown key \"targts\" in scrape_configs[0].static_configs[1]");
    fails("storage: {pth: x}\n", "t.yaml:1: unknown key \"pth\" in storage");
    fails("global: {scrape_intervl: 1s}\n", "unknown key \"scrape_intervl\" in global");
    fails("\"\\x01\": 1\n", "unknown key \"?\" in the top level");
}

static void
test_parse_duration(void **state)
{
    static const struct {
        const char *s;
        int64_t ms;
    } good[] = {
        {"15s", 15000},
        {"1h30m", 5400000},
        {"500ms", 500},
        {"2d", 172800000},
        {"1w", 604800000},
        {"1y", 31536000000},
        {"0", 0},
        {"0s", 0},
        {"1m1s1ms", 61001},
        {"1y2w3d4h5m6s7ms", 31536000000 + 1209600000 + 259200000 + 14400000 + 300000 + 6000 + 7},
    };
    static const char *const bad[] = {
        "",
        "15",
        "-1s",
        "1.5s",
        "1s1m",
        "1m1m",
        "s",
        "1 s",
        " 1s",
        "1s ",
        "1S",
        "1ns",
        "1us",
        "+1s",
        "1h-1m",
        "99999999999999999999s",
        "9223372036854775807s",
        "1mss",
        "1msm",
    };
    int64_t v;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (config_parse_duration(good[i].s, &v) != HW_OK)
            fail_msg("\"%s\" refused", good[i].s);
        assert_int_equal(v, good[i].ms);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (config_parse_duration(bad[i], &v) == HW_OK)
            fail_msg("\"%s\" accepted", bad[i]);
}

static void
test_parse_size(void **state)
{
    static const struct {
        const char *s;
        int64_t b;
    } good[] = {
        {"0", 0},
        {"1048576", 1048576},
        {"10B", 10},
        {"1kB", 1000},
        {"1KB", 1000},
        {"64MB", 64000000},
        {"1GB", 1000000000},
        {"2KiB", 2048},
        {"64MiB", 64 << 20},
        {"1GiB", 1 << 30},
        {"1TiB", 1LL << 40},
        {"1TB", 1000000000000},
        {"9223372036854775807", INT64_MAX},
    };
    static const char *const bad[] = {
        "",
        "-1",
        "1.5GiB",
        "1 GiB",
        "GiB",
        "1gib",
        "1Kib",
        "1XB",
        "9223372036854775808",
        "9000000000TiB",
        "1GiB ",
        "+1",
    };
    int64_t v;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (config_parse_size(good[i].s, &v) != HW_OK)
            fail_msg("\"%s\" refused", good[i].s);
        assert_int_equal(v, good[i].b);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (config_parse_size(bad[i], &v) == HW_OK)
            fail_msg("\"%s\" accepted", bad[i]);
}

static void
test_bad_values(void **state)
{
    (void)state;
    fails("scrape_configs:\n- job_name: a\n  scrape_interval: 15\n",
          "t.yaml:3: bad duration \"15\" in scrape_configs[0].scrape_interval");
    fails("storage:\n  retention_time: -1h\n",
          "t.yaml:2: bad duration \"-1h\" in storage.retention_time");
    fails("limits:\n  max_body_bytes: 64 MiB\n",
          "t.yaml:2: bad size \"64 MiB\" in limits.max_body_bytes");
    fails("storage: {retention_bytes: 99999999999999999999}\n", "bad size");
    fails("storage: {retention_count: -3}\n", "bad count \"-3\" in storage.retention_count");
    fails("storage: {retention_count: 1e3}\n", "bad count");
    fails("scrape_configs:\n- job_name: a\n  file_sd_configs: [{files: [a.json], "
          "refresh_interval: 1x}]\n",
          "bad duration \"1x\" in scrape_configs[0].file_sd_configs[0].refresh_interval");
    fails("listen: nowhere\n", "t.yaml:1: bad listen address \"nowhere\"");
    fails("storage: {path: \"\"}\n", "storage path is empty");
}

static void
test_duplicate_job(void **state)
{
    (void)state;
    fails("scrape_configs:\n- job_name: a\n- job_name: b\n- job_name: a\n",
          "t.yaml:4: duplicate job_name \"a\"");
    fails("scrape_configs:\n- static_configs: []\n", "t.yaml:2: scrape_configs[0] has no job_name");
    fails("scrape_configs:\n- job_name: \"\"\n", "has no job_name");
}

static void
test_duplicate_key(void **state)
{
    (void)state;
    fails("listen: a:1\nlisten: b:2\n", "t.yaml:2: duplicate key \"listen\"");
    fails("scrape_configs:\n- job_name: a\n  static_configs:\n  - labels: {x: 1, x: 2}\n",
          "t.yaml:4: duplicate key \"x\"");
}

static void
test_bad_target_address(void **state)
{
    static const char *const bad[] = {
        "localhost", "http://a:1", "a:0",      "a:65536", "a:",        ":80",  "a b:1",
        "[::1]",     "[]:1",       "::1:6060", "a:1/x",   "[::1]6060", "a:-1", "",
    };
    char text[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text),
                 "scrape_configs:\n- job_name: a\n  static_configs:\n  - targets: [ok:1, \"%s\"]\n",
                 bad[i]);
        fails(text, "t.yaml:4: bad target");
    }
    fails("scrape_configs:\n- job_name: a\n  static_configs:\n  - targets: [ok:1, [a:1]]\n",
          "targets[1] must be a single value, not a list");
}

static void
test_bad_scheme(void **state)
{
    (void)state;
    fails("scrape_configs:\n- job_name: a\n  scheme: ftp\n",
          "t.yaml:3: scheme in scrape_configs[0] must be http or https, not \"ftp\"");
    fails("scrape_configs:\n- job_name: a\n  scheme: HTTP\n", "must be http or https");
    fails("scrape_configs:\n- job_name: a\n  static_configs:\n  - labels: {__scheme__: gopher}\n",
          "__scheme__ in scrape_configs[0].static_configs[0].labels must be http or https");
}

static void
test_alias_rejected(void **state)
{
    struct config *c;

    (void)state;
    fails("defaults: &d {scrape_interval: 5s}\n", "unknown key \"defaults\"");
    fails("scrape_configs:\n- &job\n  job_name: a\n- *job\n",
          "t.yaml:4: aliases (*job) are not supported");
    fails("scrape_configs:\n- job_name: a\n  <<: *x\n", "t.yaml:3:"); /* undefined alias */
    /* An anchor nobody refers to is harmless. */
    c = parse_ok("scrape_configs:\n- &job\n  job_name: a\n");
    assert_string_equal(c->jobs[0].name, "a");
    config_free(c);
}

static void
test_wrong_types(void **state)
{
    (void)state;
    fails("scrape_configs: {job_name: a}\n", "t.yaml:1: scrape_configs must be a list, not a map");
    fails("scrape_configs:\n- a\n",
          "t.yaml:2: scrape_configs[0] must be a map, not a single value");
    fails("listen: [a:1]\n", "t.yaml:1: listen must be a single value, not a list");
    fails("storage: ./data\n", "storage must be a map, not a single value");
    fails("scrape_configs:\n- job_name: a\n  tls_config: {insecure_skip_verify: maybe}\n",
          "t.yaml:3: scrape_configs[0].tls_config.insecure_skip_verify must be true or false");
    fails("scrape_configs:\n- job_name: a\n  static_configs:\n  - labels: {a: [1]}\n",
          "label a in scrape_configs[0].static_configs[0].labels must be a single value");
    fails("scrape_configs:\n- job_name: a\n  static_configs:\n  - labels: {\"a-b\": 1}\n",
          "bad label name \"a-b\"");
    fails("scrape_configs:\n- job_name: a\n  params: {debug: [{a: b}]}\n",
          "parameter debug in scrape_configs[0].params: values must be single values");
    fails("scrape_configs:\n- job_name: a\n  params: [debug]\n", "params must be a map");
    fails("scrape_configs:\n- job_name: a\n  file_sd_configs: [{files: [a.txt]}]\n",
          "must end in .json, .yml or .yaml");
    fails("scrape_configs:\n- job_name: a\n  file_sd_configs: [{refresh_interval: 1m}]\n",
          "scrape_configs[0].file_sd_configs[0] has no files");
    fails("? [a, b]\n: c\n", "t.yaml:1: a map key must be a single value, not a list");
    fails("scrape_configs:\n- job_name: a\n  job_name2: b\n", "unknown key \"job_name2\"");
}

static void
test_ptype_rules(void **state)
{
    struct config *c;

    (void)state;
    fails("scrape_configs:\n- job_name: a\n  profiling_config:\n    pprof_config:\n"
          "      fgprof: {enabled: true}\n",
          "t.yaml:5: profile type \"fgprof\" in scrape_configs[0].profiling_config.pprof_config."
          "fgprof needs a path");
    fails("scrape_configs:\n- job_name: a\n  profiling_config:\n    pprof_config:\n"
          "      heap: {path: debug/pprof/heap}\n",
          "t.yaml:5: bad path \"debug/pprof/heap\"");
    fails("scrape_configs:\n- job_name: a\n  profiling_config:\n    pprof_config:\n"
          "      \"a/b\": {path: /x}\n",
          "bad profile type name \"a/b\"");
    fails("scrape_configs:\n- job_name: a\n  profiling_config: {path_prefix: svc}\n",
          "bad path_prefix \"svc\"");
    c = parse_ok("scrape_configs:\n- job_name: a\n  profiling_config:\n    path_prefix: /svc/\n"
                 "    pprof_config:\n      goroutine: {enabled: false}\n"
                 "      fgprof: {path: \"/debug/fgprof?seconds=5\", scrape_interval: 1m}\n"
                 "      threadcreate:\n");
    assert_string_equal(c->jobs[0].path_prefix, "/svc");
    assert_int_equal(c->jobs[0].nptypes, 5);
    assert_false(ptype(&c->jobs[0], "goroutine")->enabled);
    assert_string_equal(ptype(&c->jobs[0], "goroutine")->path, "/debug/pprof/goroutine");
    assert_int_equal(ptype(&c->jobs[0], "fgprof")->interval_ms, 60000);
    assert_string_equal(ptype(&c->jobs[0], "threadcreate")->path, "/debug/pprof/threadcreate");
    assert_string_equal(c->jobs[0].ptypes[3].name, "fgprof"); /* extras in file order */
    config_free(c);
}

static void
test_auth_conflicts(void **state)
{
    (void)state;
    fails("scrape_configs:\n- job_name: a\n  basic_auth: {username: u}\n"
          "  authorization: {credentials: x}\n",
          "basic_auth and authorization (or bearer_token) exclude each other");
    fails("scrape_configs:\n- job_name: a\n  authorization: {credentials: x}\n"
          "  bearer_token: y\n",
          "t.yaml:4: scrape_configs[0]: authorization and bearer_token exclude each other");
    fails("scrape_configs:\n- job_name: a\n  basic_auth: {password: x, password_file: y}\n",
          "both password and password_file");
    fails("scrape_configs:\n- job_name: a\n  bearer_token: x\n  bearer_token_file: y\n",
          "both credentials and credentials_file");
    fails("scrape_configs:\n- job_name: a\n  authorization: {type: basic, credentials: x}\n",
          "use basic_auth instead");
    fails("scrape_configs:\n- job_name: a\n  tls_config: {cert_file: c}\n",
          "cert_file and key_file go together");
}

/* Input a hostile or careless user could write: none may crash or leak. */
static void
test_hostile_input(void **state)
{
    char *deep = malloc(100001);
    size_t i;

    (void)state;
    assert_non_null(deep);
    for (i = 0; i < 100000; i++)
        deep[i] = i < 50000 ? '[' : ']';
    deep[100000] = '\0';
    fails(deep, "nested more than 64 levels deep");
    for (i = 0; i < 20000; i++)
        memcpy(deep + 5 * i, "- a:\n", 5);
    deep[100000 - 5] = '\0';
    fails(deep, "the top level must be a map");
    free(deep);
    fails_n("listen: a:1\n\0bar: 1\n", 20, "t.yaml:2: YAML: control characters are not allowed");
    fails("listen: \"a\\0b:1\"\n", "t.yaml:1: a NUL character in a value");
    fails("listen: a:1\nx: \xff\xfe\n", "t.yaml:2: YAML: invalid leading UTF-8 octet");
    fails("listen: \"\xc3\x28\"\n", "YAML: invalid trailing UTF-8 octet");
    fails("scrape_configs:\n- job_name: a\n  scrape_interval: 99999999999999999999999h\n",
          "bad duration");
    fails("scrape_configs:\n- job_name: a\n  scrape_interval: 300000000y\n", "bad duration");
    fails("a: [b\n", "YAML:");
    fails("a: 'b\n", "YAML:");
    fails("\ta: 1\n", "YAML:");
}

static void
test_load_file(void **state)
{
    char dir[] = "/tmp/test_config.XXXXXX", path[128];
    struct config *c = NULL;
    struct errbuf eb = {{0}};
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/heapwatch.yaml", dir);
    assert_int_equal(config_load(path, &c, &eb), HW_IO);
    assert_null(c);
    assert_non_null(strstr(eb.msg, "heapwatch.yaml: No such file"));
    assert_non_null(f = fopen(path, "w"));
    fputs("listen: 0.0.0.0:9\nscrape_configs:\n- job_name: a\n  oops: 1\n", f);
    fclose(f);
    errbuf_clear(&eb);
    assert_int_equal(config_load(path, &c, &eb), HW_BADDATA);
    assert_non_null(strstr(eb.msg, "heapwatch.yaml:4: unknown key \"oops\""));
    assert_non_null(f = fopen(path, "w"));
    fputs("listen: 0.0.0.0:9\n", f);
    fclose(f);
    assert_int_equal(config_load(path, &c, &eb), HW_OK);
    assert_string_equal(c->path, path);
    assert_string_equal(c->listen, "0.0.0.0:9");
    config_free(c);
    unlink(path);
    rmdir(dir);
}

/* ---- the round trip ------------------------------------------------------------ */

static void
same_str(const char *a, const char *b, const char *what)
{
    if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
        fail_msg("%s: \"%s\" != \"%s\"", what, a ? a : "(null)", b ? b : "(null)");
}

static void
same_kvlist(const struct kvlist *a, const struct kvlist *b)
{
    size_t i;

    assert_int_equal(a->n, b->n);
    for (i = 0; i < a->n; i++) {
        same_str(a->v[i].key, b->v[i].key, "key");
        same_str(a->v[i].value, b->v[i].value, "value");
    }
}

static void
same_strings(char *const *a, size_t na, char *const *b, size_t nb)
{
    size_t i;

    assert_int_equal(na, nb);
    for (i = 0; i < na; i++)
        same_str(a[i], b[i], "list item");
}

/* Secrets, which config_print hides, are compared only when secrets is set. */
static void
same_job(const struct job_cfg *a, const struct job_cfg *b, bool secrets)
{
    size_t i;

    same_str(a->name, b->name, "job_name");
    assert_int_equal(a->interval_ms, b->interval_ms);
    assert_int_equal(a->timeout_ms, b->timeout_ms);
    same_str(a->scheme, b->scheme, "scheme");
    same_str(a->path_prefix, b->path_prefix, "path_prefix");
    same_kvlist(&a->params, &b->params);
    same_str(a->auth.username, b->auth.username, "username");
    same_str(a->auth.password_file, b->auth.password_file, "password_file");
    same_str(a->auth.auth_type, b->auth.auth_type, "type");
    same_str(a->auth.credentials_file, b->auth.credentials_file, "credentials_file");
    if (secrets) {
        same_str(a->auth.password, b->auth.password, "password");
        same_str(a->auth.credentials, b->auth.credentials, "credentials");
    }
    same_str(a->tls.ca_file, b->tls.ca_file, "ca_file");
    same_str(a->tls.cert_file, b->tls.cert_file, "cert_file");
    same_str(a->tls.key_file, b->tls.key_file, "key_file");
    same_str(a->tls.server_name, b->tls.server_name, "server_name");
    assert_int_equal(a->tls.insecure_skip_verify, b->tls.insecure_skip_verify);
    assert_int_equal(a->nstatics, b->nstatics);
    for (i = 0; i < a->nstatics; i++) {
        same_strings(a->statics[i].targets, a->statics[i].ntargets, b->statics[i].targets,
                     b->statics[i].ntargets);
        same_kvlist(&a->statics[i].labels, &b->statics[i].labels);
    }
    assert_int_equal(a->nfile_sds, b->nfile_sds);
    for (i = 0; i < a->nfile_sds; i++) {
        same_strings(a->file_sds[i].files, a->file_sds[i].nfiles, b->file_sds[i].files,
                     b->file_sds[i].nfiles);
        assert_int_equal(a->file_sds[i].refresh_ms, b->file_sds[i].refresh_ms);
    }
    assert_int_equal(a->nptypes, b->nptypes);
    for (i = 0; i < a->nptypes; i++) {
        same_str(a->ptypes[i].name, b->ptypes[i].name, "ptype name");
        same_str(a->ptypes[i].path, b->ptypes[i].path, "ptype path");
        assert_int_equal(a->ptypes[i].enabled, b->ptypes[i].enabled);
        assert_int_equal(a->ptypes[i].interval_ms, b->ptypes[i].interval_ms);
    }
}

static void
same_config(const struct config *a, const struct config *b, bool secrets)
{
    size_t i;

    same_str(a->listen, b->listen, "listen");
    same_str(a->storage.path, b->storage.path, "storage.path");
    assert_int_equal(a->storage.retention_ms, b->storage.retention_ms);
    assert_int_equal(a->storage.retention_count, b->storage.retention_count);
    assert_int_equal(a->storage.retention_bytes, b->storage.retention_bytes);
    assert_int_equal(a->limits.max_body_bytes, b->limits.max_body_bytes);
    assert_int_equal(a->limits.max_decoded_bytes, b->limits.max_decoded_bytes);
    assert_int_equal(a->global.interval_ms, b->global.interval_ms);
    assert_int_equal(a->global.timeout_ms, b->global.timeout_ms);
    assert_int_equal(a->njobs, b->njobs);
    for (i = 0; i < a->njobs; i++)
        same_job(&a->jobs[i], &b->jobs[i], secrets);
}

/* Prints c, parses that back, compares, and checks that printing again gives the same
 * bytes. Returns the first print (caller frees). */
static char *
round_trip(const struct config *c)
{
    struct buf b1, b2;
    struct config *d;

    buf_init(&b1, 0);
    buf_init(&b2, 0);
    assert_int_equal(config_print(c, &b1), HW_OK);
    d = parse_ok((const char *)b1.data);
    same_config(c, d, false);
    assert_int_equal(config_print(d, &b2), HW_OK);
    assert_string_equal((const char *)b1.data, (const char *)b2.data);
    buf_reset(&b2);
    config_free(d);
    return (char *)buf_steal(&b1, NULL);
}

static void
test_print_round_trip(void **state)
{
    struct config *c = parse_ok(full_example);
    char *text;

    (void)state;
    text = round_trip(c);
    assert_non_null(strstr(text, "password: \"<secret>\""));
    assert_non_null(strstr(text, "credentials: \"<secret>\""));
    assert_null(strstr(text, "xyz"));
    assert_non_null(strstr(text, "retention_bytes: 1GiB"));
    assert_non_null(strstr(text, "retention_time: 1d"));
    free(text);
    config_free(c);
    c = config_new();
    free(round_trip(c));
    config_free(c);
}

/* Strings that need escapes, odd but valid values, every unit. */
static void
test_print_round_trip_odd_values(void **state)
{
    struct config *c;
    char *text;

    (void)state;
    c = parse_ok("global: {scrape_interval: 1y2w3d4h5m6s7ms, scrape_timeout: 1ms}\n"
                 "storage: {path: \"a \\\"quoted\\\" \\\\ path\\twith\\ttabs\\nand\\x01\\u2028"
                 "\\u0085\\uFEFF\\U0001F525 \xc3\xa9\", retention_time: 0, retention_count: 7,"
                 " retention_bytes: 1001}\n"
                 "limits: {max_body_bytes: 0, max_decoded_bytes: 3KiB}\n"
                 "scrape_configs:\n"
                 "- job_name: \"# not a comment: {x}\"\n"
                 "  params: {\"a b\": [\"1\", \"&=?\"], c: plain, d: [], e: ~}\n"
                 "  static_configs:\n"
                 "  - targets: []\n"
                 "    labels: {__name__: \"n\", x: \"\", y: ~, z: \"'\"}\n"
                 "  file_sd_configs: [{files: [\"dir/[ab]*.yml\"]}]\n"
                 "  authorization: {type: Token}\n"
                 "  tls_config: {server_name: \"\"}\n"
                 "- job_name: b\n"
                 "  profiling_config: {pprof_config: {}}\n"
                 "  basic_auth: {username: \"\"}\n");
    assert_string_equal(c->jobs[0].params.v[3].key, "e");
    assert_string_equal(c->jobs[0].params.v[3].value, "");
    text = round_trip(c);
    free(text);
    config_free(c);
}

static void
test_config_dup(void **state)
{
    struct config *c = parse_ok(full_example), *d;

    (void)state;
    assert_int_equal(config_add_flag_target(c, "x=https://h:1/p/debug/pprof/", NULL), HW_OK);
    c->path = strdup("/etc/heapwatch.yaml");
    d = config_dup(c);
    assert_non_null(d);
    same_config(c, d, true);
    assert_string_equal(d->path, "/etc/heapwatch.yaml");
    config_free(d);
    config_free(c);
}

/* ---- flag targets ------------------------------------------------------------- */

static void
test_flag_targets(void **state)
{
    struct config *c = config_new();
    struct errbuf eb = {{0}};
    const struct job_cfg *j;
    struct target_set ts;
    size_t nw = 9;
    char *text, *url;

    (void)state;
    assert_int_equal(config_add_flag_target(c, "api=http://127.0.0.1:6060", &eb), HW_OK);
    assert_int_equal(config_add_flag_target(c, "http://127.0.0.1:6061/prefix", &eb), HW_OK);
    assert_int_equal(config_add_flag_target(c, "HTTPS://[::1]/svc/debug/pprof/heap", &eb), HW_OK);
    assert_int_equal(config_add_flag_target(c, "w=http://w.example/a/b/", &eb), HW_OK);
    assert_int_equal(c->njobs, 1);
    j = &c->jobs[0];
    assert_string_equal(j->name, "heapwatch");
    assert_int_equal(j->interval_ms, 15000);
    assert_int_equal(j->timeout_ms, 10000);
    assert_int_equal(j->nptypes, 3);
    assert_int_equal(j->nstatics, 4);
    assert_string_equal(j->statics[2].targets[0], "[::1]:443");
    assert_string_equal(j->statics[3].targets[0], "w.example:80");
    assert_int_equal(config_expand(c, &ts, &nw, &eb), HW_OK);
    assert_int_equal(nw, 0);
    assert_int_equal(ts.n, 4);
    /* Sorted by name: [::1]:443, 127.0.0.1:6061, api, w. */
    assert_string_equal(ts.v[0].name, "127.0.0.1:6061");
    assert_string_equal(ts.v[1].name, "[::1]:443");
    assert_string_equal(ts.v[2].name, "api");
    assert_string_equal(ts.v[3].name, "w");
    url = config_target_url(&ts.v[0], &j->ptypes[0]);
    assert_string_equal(url, "http://127.0.0.1:6061/prefix/debug/pprof/heap");
    free(url);
    url = config_target_url(&ts.v[1], &j->ptypes[1]);
    assert_string_equal(url, "https://[::1]:443/svc/debug/pprof/allocs");
    free(url);
    url = config_target_url(&ts.v[2], &j->ptypes[2]);
    assert_string_equal(url, "http://127.0.0.1:6060/debug/pprof/goroutine");
    free(url);
    url = config_target_url(&ts.v[3], &j->ptypes[0]);
    assert_string_equal(url, "http://w.example:80/a/b/debug/pprof/heap");
    free(url);
    assert_int_equal(ts.v[2].labels.n, 2); /* meta labels stay out */
    assert_string_equal(ts.v[2].labels.v[0].key, "instance");
    assert_string_equal(ts.v[2].labels.v[0].value, "127.0.0.1:6060");
    assert_string_equal(ts.v[2].labels.v[1].key, "job");
    assert_string_equal(ts.v[2].labels.v[1].value, "heapwatch");
    target_set_free(&ts);
    text = round_trip(c); /* flag targets survive print and parse */
    free(text);
    config_free(c);
}

static void
test_flag_target_errors(void **state)
{
    static const char *const bad[] = {
        "ftp://a:1",      "a:6060",         "127.0.0.1:6060",     "http://",
        "http:///x",      "http://a:x",     "http://a:1?debug=1", "http://u:p@a:1",
        "=http://a:1",    "http://a:99999", "x\x01=http://a:1",   "http://a b:1",
        "http://a:1/p q",
    };
    struct config *c = config_new();
    struct errbuf eb;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errbuf_clear(&eb);
        if (config_add_flag_target(c, bad[i], &eb) != HW_USAGE)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_true(eb.msg[0] != '\0');
    }
    assert_int_equal(config_add_flag_target(c, "a=http://h:1", &eb), HW_OK);
    errbuf_clear(&eb);
    assert_int_equal(config_add_flag_target(c, "a=http://h:2", &eb), HW_USAGE);
    assert_non_null(strstr(eb.msg, "\"a\" given twice"));
    config_free(c);
}

static void
test_flag_targets_join_file_job(void **state)
{
    struct config *c = parse_ok("global: {scrape_interval: 1m, scrape_timeout: 30s}\n"
                                "scrape_configs:\n- job_name: other\n");
    struct config *d = parse_ok("scrape_configs:\n- job_name: heapwatch\n  scheme: https\n"
                                "  static_configs: [{targets: [a:1]}]\n");

    (void)state;
    assert_int_equal(config_add_flag_target(c, "http://h:1", NULL), HW_OK);
    assert_int_equal(c->njobs, 2);
    assert_int_equal(c->jobs[1].interval_ms, 60000);
    assert_int_equal(c->jobs[1].timeout_ms, 30000);
    assert_int_equal(config_add_flag_target(d, "http://h:1", NULL), HW_OK);
    assert_int_equal(d->njobs, 1);
    assert_int_equal(d->jobs[0].nstatics, 2);
    assert_string_equal(d->jobs[0].statics[1].labels.v[1].key, "__scheme__");
    assert_string_equal(d->jobs[0].statics[1].labels.v[1].value, "http");
    config_free(c);
    config_free(d);
}

/* ---- expansion and URLs ---------------------------------------------------------- */

static void
write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

static void
remove_file(const char *dir, const char *name)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

static void
test_expand_static(void **state)
{
    struct config *c = parse_ok("scrape_configs:\n"
                                "- job_name: b\n"
                                "  static_configs:\n"
                                "  - targets: [\"z:1\", \"a:1\"]\n"
                                "    labels: {zone: eu, env: prod, instance: custom}\n"
                                "  - targets: [\"a:1\"]\n" /* a duplicate: the first stays */
                                "    labels: {env: dev}\n"
                                "- job_name: a\n"
                                "  static_configs: [{targets: [\"a:1\"], labels: {job: j2}}]\n");
    struct target_set ts;
    struct errbuf eb = {{0}};
    size_t nw = 5;

    (void)state;
    assert_int_equal(config_expand(c, &ts, &nw, &eb), HW_OK);
    assert_int_equal(nw, 0);
    assert_int_equal(ts.n, 3);
    assert_string_equal(ts.v[0].name, "a/a:1");
    assert_string_equal(ts.v[1].name, "b/a:1");
    assert_string_equal(ts.v[2].name, "b/z:1");
    assert_string_equal(ts.v[0].address, "a:1");
    assert_ptr_equal(ts.v[0].job, &c->jobs[1]);
    assert_string_equal(ts.v[0].labels.v[1].key, "job");
    assert_string_equal(ts.v[0].labels.v[1].value, "j2");
    assert_int_equal(ts.v[1].labels.n, 4);
    assert_string_equal(ts.v[1].labels.v[0].key, "env");
    assert_string_equal(ts.v[1].labels.v[0].value, "prod");
    assert_string_equal(ts.v[1].labels.v[1].key, "instance");
    assert_string_equal(ts.v[1].labels.v[1].value, "custom");
    assert_string_equal(ts.v[1].labels.v[2].key, "job");
    assert_string_equal(ts.v[1].labels.v[3].key, "zone");
    assert_string_equal(ts.v[1].scheme, "http");
    assert_string_equal(ts.v[1].path_prefix, "");
    target_set_free(&ts);
    assert_null(ts.v);
    config_free(c);
}

static void
test_expand_file_sd(void **state)
{
    char dir[] = "/tmp/test_config.XXXXXX", text[1024];
    struct config *c;
    struct target_set ts;
    struct errbuf eb = {{0}};
    size_t nw = 0;
    int64_t m;

    (void)state;
    assert_non_null(mkdtemp(dir));
    write_file(dir, "a.json",
               "[{\"targets\": [\"10.0.0.1:6060\", \"10.0.0.2:6060\"], \"labels\": {\"env\": "
               "\"prod\", \"__scheme__\": \"https\", \"__path_prefix__\": \"/p/\"}},"
               " {\"targets\": [\"10.0.0.3:6060\"]}]");
    write_file(dir, "b.json", "[{\"targets\": [\"10.0.0.9:6060\"]}, {\"targets\": 5}]");
    write_file(dir, "c.yaml", "- targets: [\"10.0.0.4:6060\"]\n  labels: {team: core}\n");
    write_file(dir, "empty.yml", "");
    snprintf(text, sizeof(text),
             "scrape_configs:\n- job_name: sd\n  params: {debug: [\"0\"]}\n"
             "  file_sd_configs:\n  - files: [\"%s/*.json\", \"%s/c.yaml\", \"%s/*.yml\","
             " \"%s/none-*.json\"]\n",
             dir, dir, dir, dir);
    c = parse_ok(text);
    assert_int_equal(config_expand(c, &ts, &nw, &eb), HW_OK);
    assert_int_equal(nw, 1);
    if (strstr(eb.msg, "b.json: bad target \"5\" in [1].targets: want host:port") == NULL)
        fail_msg("message: %s", eb.msg);
    assert_int_equal(ts.n, 4);
    assert_string_equal(ts.v[0].name, "sd/10.0.0.1:6060");
    assert_string_equal(ts.v[0].scheme, "https");
    assert_string_equal(ts.v[0].path_prefix, "/p");
    assert_int_equal(ts.v[0].labels.n, 3);
    assert_string_equal(ts.v[0].labels.v[0].key, "env");
    assert_string_equal(ts.v[2].name, "sd/10.0.0.3:6060");
    assert_int_equal(ts.v[2].labels.n, 2);
    assert_string_equal(ts.v[3].name, "sd/10.0.0.4:6060");
    assert_string_equal(ts.v[3].labels.v[2].key, "team");
    {
        char *url = config_target_url(&ts.v[0], &c->jobs[0].ptypes[0]);

        assert_string_equal(url, "https://10.0.0.1:6060/p/debug/pprof/heap?debug=0");
        free(url);
    }
    target_set_free(&ts);
    m = config_sd_mtime(c);
    assert_true(m > 0);
    config_free(c);

    /* A missing plain file is a warning; so is a broken YAML one. */
    snprintf(text, sizeof(text),
             "scrape_configs:\n- job_name: sd\n  file_sd_configs:\n"
             "  - files: [\"%s/gone.json\", \"%s/bad.yaml\", \"%s/c.yaml\"]\n",
             dir, dir, dir);
    write_file(dir, "bad.yaml", "- targets: [\"10.0.0.5:6060\"]\n  labels: {bad-name: x}\n");
    c = parse_ok(text);
    errbuf_clear(&eb);
    assert_int_equal(config_expand(c, &ts, &nw, &eb), HW_OK);
    assert_int_equal(nw, 2);
    assert_non_null(strstr(eb.msg, "gone.json: no such file"));
    assert_int_equal(ts.n, 1);
    target_set_free(&ts);
    config_free(c);
    remove_file(dir, "a.json");
    remove_file(dir, "b.json");
    remove_file(dir, "c.yaml");
    remove_file(dir, "bad.yaml");
    remove_file(dir, "empty.yml");
    rmdir(dir);
}

/* Relative sd paths follow the config file, not the working directory. */
static void
test_expand_relative_to_config(void **state)
{
    char dir[] = "/tmp/test_config.XXXXXX", path[256];
    struct config *c = NULL;
    struct target_set ts;
    struct errbuf eb = {{0}};
    size_t nw = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    write_file(dir, "t.json", "[{\"targets\": [\"h:1\"], \"labels\": {\"__name__\": \"named\"}}]");
    write_file(dir, "heapwatch.yaml",
               "scrape_configs:\n- job_name: j\n  file_sd_configs: [{files: [t.json]}]\n");
    snprintf(path, sizeof(path), "%s/heapwatch.yaml", dir);
    assert_int_equal(config_load(path, &c, &eb), HW_OK);
    assert_int_equal(config_expand(c, &ts, &nw, &eb), HW_OK);
    assert_int_equal(nw, 0);
    assert_int_equal(ts.n, 1);
    assert_string_equal(ts.v[0].name, "named");
    target_set_free(&ts);
    config_free(c);
    remove_file(dir, "t.json");
    remove_file(dir, "heapwatch.yaml");
    rmdir(dir);
}

static void
test_sd_mtime(void **state)
{
    char dir[] = "/tmp/test_config.XXXXXX", text[512], path[256];
    struct timeval tv[2] = {{1000000, 0}, {1000000, 0}};
    struct config *c;
    int64_t m1, m2;

    (void)state;
    assert_non_null(mkdtemp(dir));
    write_file(dir, "a.json", "[]");
    snprintf(text, sizeof(text),
             "scrape_configs:\n- job_name: j\n  file_sd_configs: [{files: [\"%s/*.json\"]}]\n",
             dir);
    c = parse_ok(text);
    snprintf(path, sizeof(path), "%s/a.json", dir);
    assert_int_equal(utimes(path, tv), 0);
    assert_int_equal(utimes(dir, tv), 0);
    m1 = config_sd_mtime(c);
    assert_int_equal(m1, 1000000000LL);
    tv[1].tv_sec = 2000000;
    assert_int_equal(utimes(path, tv), 0);
    m2 = config_sd_mtime(c);
    assert_int_equal(m2, 2000000000LL);
    config_free(c);
    c = config_new();
    assert_int_equal(config_sd_mtime(c), 0);
    config_free(c);
    unlink(path);
    rmdir(dir);
}

static void
test_target_url(void **state)
{
    struct config *c =
        parse_ok("scrape_configs:\n- job_name: u\n  scheme: https\n"
                 "  params: {debug: [\"1\", \"2\"], \"seconds & more\": \"5/=?\", gc: [\"\"]}\n"
                 "  profiling_config:\n    path_prefix: /x\n    pprof_config:\n"
                 "      fg: {path: \"/fg?a=b\"}\n"
                 "  static_configs: [{targets: [\"[::1]:8443\"]}]\n");
    struct target_set ts;
    char *url;

    (void)state;
    assert_int_equal(config_expand(c, &ts, NULL, NULL), HW_OK);
    assert_int_equal(ts.n, 1);
    url = config_target_url(&ts.v[0], &c->jobs[0].ptypes[0]);
    assert_string_equal(url, "https://[::1]:8443/x/debug/pprof/heap?debug=1&debug=2&"
                             "seconds%20%26%20more=5%2F%3D%3F&gc=");
    free(url);
    url = config_target_url(&ts.v[0], ptype(&c->jobs[0], "fg"));
    assert_string_equal(url, "https://[::1]:8443/x/fg?a=b&debug=1&debug=2&"
                             "seconds%20%26%20more=5%2F%3D%3F&gc=");
    free(url);
    /* A hand-made target (no scheme or prefix of its own) uses its job's. */
    free(ts.v[0].scheme);
    free(ts.v[0].path_prefix);
    ts.v[0].scheme = ts.v[0].path_prefix = NULL;
    url = config_target_url(&ts.v[0], &c->jobs[0].ptypes[2]);
    assert_non_null(strstr(url, "https://[::1]:8443/x/debug/pprof/goroutine?debug=1"));
    free(url);
    target_set_free(&ts);
    config_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_example),
        cmocka_unit_test(test_auth_spellings),
        cmocka_unit_test(test_parca_example),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_documents),
        cmocka_unit_test(test_top_level_not_a_map),
        cmocka_unit_test(test_intervals),
        cmocka_unit_test(test_timeout_above_interval),
        cmocka_unit_test(test_unknown_key_line),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_duplicate_job),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_bad_target_address),
        cmocka_unit_test(test_bad_scheme),
        cmocka_unit_test(test_alias_rejected),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_ptype_rules),
        cmocka_unit_test(test_auth_conflicts),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_print_round_trip),
        cmocka_unit_test(test_print_round_trip_odd_values),
        cmocka_unit_test(test_config_dup),
        cmocka_unit_test(test_flag_targets),
        cmocka_unit_test(test_flag_target_errors),
        cmocka_unit_test(test_flag_targets_join_file_job),
        cmocka_unit_test(test_expand_static),
        cmocka_unit_test(test_expand_file_sd),
        cmocka_unit_test(test_expand_relative_to_config),
        cmocka_unit_test(test_sd_mtime),
        cmocka_unit_test(test_target_url),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
