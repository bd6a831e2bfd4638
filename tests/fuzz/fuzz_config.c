/* fuzz_config.c - config_parse on arbitrary bytes. What it accepts must print as YAML
 * that parses back and prints the same bytes again, and every static target must give
 * a URL for every profile type. Service discovery is left out: it reads files named by
 * the input. */
#include <string.h>

#include "config.h"
#include "fuzz.h"

/* Configs are small; past this the fuzzer only slows down. */
#define FUZZ_CONFIG_MAX ((size_t)256 << 10)

static void
fuzz_print(const struct config *c, struct buf *b)
{
    buf_init(b, 0);
    if (config_print(c, b) != HW_OK)
        fuzz_fail("config_print", "failed without a limit");
}

/* Builds the target_def config_expand would for each static target and its URLs. */
static void
fuzz_urls(const struct config *c)
{
    size_t i, s, k, p;

    for (i = 0; i < c->njobs; i++)
        for (s = 0; s < c->jobs[i].nstatics; s++)
            for (k = 0; k < c->jobs[i].statics[s].ntargets; k++)
                for (p = 0; p < c->jobs[i].nptypes; p++) {
                    struct target_def t;
                    char *url;

                    memset(&t, 0, sizeof(t));
                    t.address = c->jobs[i].statics[s].targets[k];
                    t.job = &c->jobs[i];
                    if ((url = config_target_url(&t, &c->jobs[i].ptypes[p])) == NULL)
                        fuzz_fail("config_target_url", "NULL");
                    if (strncmp(url, "http", 4) != 0)
                        fuzz_fail("config_target_url", url);
                    free(url);
                }
}

/* The value parsers on a prefix of the input, as a string. */
static void
fuzz_values(const uint8_t *data, size_t size)
{
    char s[32];
    int64_t v;
    size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

    memcpy(s, data, n);
    s[n] = '\0';
    if (config_parse_duration(s, &v) == HW_OK && v < 0)
        fuzz_fail("config_parse_duration", "negative");
    if (config_parse_size(s, &v) == HW_OK && v < 0)
        fuzz_fail("config_parse_size", "negative");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *c = NULL, *d = NULL;
    struct errbuf eb = {{0}};
    struct buf b1, b2;
    enum hw_err err;

    if (size > FUZZ_CONFIG_MAX)
        return 0;
    fuzz_values(data, size);
    err = config_parse((const char *)data, size, "fuzz.yaml", &c, &eb);
    if (err != HW_OK) {
        fuzz_check_error(err, &eb);
        return 0;
    }
    fuzz_print(c, &b1);
    err = config_parse((const char *)b1.data, b1.len, "printed.yaml", &d, &eb);
    if (err != HW_OK) {
        fprintf(stderr, "%s\n", (const char *)b1.data);
        fuzz_fail("re-parsing the printed config", errbuf_msg(&eb, err));
    }
    fuzz_print(d, &b2);
    if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) {
        fprintf(stderr, "first:\n%s\nsecond:\n%s\n", (const char *)b1.data, (const char *)b2.data);
        fuzz_fail("config_print", "the re-parsed config prints differently");
    }
    fuzz_urls(d);
    buf_reset(&b1);
    buf_reset(&b2);
    config_free(c);
    config_free(d);
    return 0;
}
