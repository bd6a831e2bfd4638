/* pbb.h - the profile.proto builder the profile tests share, so test profiles are
 * built in C and packed with protobuf-c rather than kept as binary blobs. Functions
 * and locations are made on first use by name: a stack is "root;...;leaf", a frame
 * "caller+inlined" is one location whose lines are stored innermost first, "name:12"
 * gives a line number and "@0x4a0" is a location without lines at that address.
 * Everything lives in the arena. Static functions in a header, as each test is one
 * .c file; the per-test arena fixture (ARENA_TEST) is here too. */
#ifndef HW_PBB_H
#define HW_PBB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "decode.h"
#include "profile.h"
#include "profile.pb-c.h"

#define PBB_MAX 256
#define PBB_FN static __attribute__((unused)) /* not every test uses every helper */

struct pbb {
    struct arena *a;
    Perftools__Profiles__Profile p;
    Perftools__Profiles__ValueType period_type;
    char *strs[PBB_MAX];
    Perftools__Profiles__ValueType *types[8];
    Perftools__Profiles__Function *fns[PBB_MAX];
    Perftools__Profiles__Location *locs[PBB_MAX];
    const char *lockey[PBB_MAX];
    Perftools__Profiles__Sample *samples[PBB_MAX];
    Perftools__Profiles__Mapping *maps[8];
};

PBB_FN int64_t
pbb_str(struct pbb *b, const char *s)
{
    size_t i;

    for (i = 0; i < b->p.n_string_table; i++)
        if (strcmp(b->strs[i], s) == 0)
            return (int64_t)i;
    assert_true(i < PBB_MAX);
    b->strs[i] = arena_strdup(b->a, s);
    b->p.n_string_table++;
    return (int64_t)i;
}

PBB_FN struct pbb *
pbb_new(struct arena *a)
{
    struct pbb *b = arena_calloc(a, 1, sizeof(*b));

    assert_non_null(b);
    b->a = a;
    perftools__profiles__profile__init(&b->p);
    perftools__profiles__value_type__init(&b->period_type);
    b->p.string_table = b->strs;
    b->p.sample_type = b->types;
    b->p.function = b->fns;
    b->p.location = b->locs;
    b->p.sample = b->samples;
    b->p.mapping = b->maps;
    pbb_str(b, "");
    return b;
}

PBB_FN void
pbb_type(struct pbb *b, const char *type, const char *unit)
{
    Perftools__Profiles__ValueType *vt = arena_calloc(b->a, 1, sizeof(*vt));

    assert_true(b->p.n_sample_type < 8);
    perftools__profiles__value_type__init(vt);
    vt->type = pbb_str(b, type);
    vt->unit = pbb_str(b, unit);
    b->types[b->p.n_sample_type++] = vt;
}

/* The four types of a Go heap profile, with its period type and period. */
PBB_FN struct pbb *
pbb_heap(struct arena *a)
{
    struct pbb *b = pbb_new(a);

    pbb_type(b, "alloc_objects", "count");
    pbb_type(b, "alloc_space", "bytes");
    pbb_type(b, "inuse_objects", "count");
    pbb_type(b, "inuse_space", "bytes");
    b->period_type.type = pbb_str(b, "space");
    b->period_type.unit = pbb_str(b, "bytes");
    b->p.period_type = &b->period_type;
    b->p.period = 524288;
    return b;
}

PBB_FN uint64_t
pbb_fn(struct pbb *b, const char *name, size_t n)
{
    char tmp[256];
    size_t i;

    snprintf(tmp, sizeof(tmp), "%.*s", (int)n, name);
    for (i = 0; i < b->p.n_function; i++)
        if (strcmp(b->strs[b->fns[i]->name], tmp) == 0)
            return b->fns[i]->id;
    assert_true(i < PBB_MAX);
    b->fns[i] = arena_calloc(b->a, 1, sizeof(**b->fns));
    perftools__profiles__function__init(b->fns[i]);
    b->fns[i]->id = i + 1;
    b->fns[i]->name = pbb_str(b, tmp);
    b->fns[i]->system_name = b->fns[i]->name;
    b->fns[i]->filename = pbb_str(b, "/src/app/main.go");
    b->p.n_function++;
    return i + 1;
}

/* The ':' of a trailing ":123" in the n bytes at f, or NULL (C++ names hold "::"). */
PBB_FN const char *
pbb_line_suffix(const char *f, size_t n)
{
    size_t i = n;

    while (i > 0 && f[i - 1] >= '0' && f[i - 1] <= '9')
        i--;
    return i > 0 && i < n && f[i - 1] == ':' ? f + i - 1 : NULL;
}

/* The location for frame text f ("caller+inlined:line"), made on first use. */
PBB_FN uint64_t
pbb_loc(struct pbb *b, const char *f, size_t n)
{
    Perftools__Profiles__Location *l;
    const char *parts[16];
    size_t lens[16], np = 0, i;
    const char *s = f;

    for (i = 0; i < b->p.n_location; i++)
        if (strlen(b->lockey[i]) == n && strncmp(b->lockey[i], f, n) == 0)
            return b->locs[i]->id;
    assert_true(i < PBB_MAX);
    l = b->locs[i] = arena_calloc(b->a, 1, sizeof(*l));
    perftools__profiles__location__init(l);
    l->id = i + 1;
    l->address = 0x1000 + 0x10 * i;
    b->lockey[i] = arena_strndup(b->a, f, n);
    b->p.n_location++;
    if (n > 0 && f[0] == '@') {
        l->address = strtoull(f + 1, NULL, 16);
        return l->id;
    }
    while (s < f + n && np < 16) {
        const char *e = memchr(s, '+', (size_t)(f + n - s));

        if (e == NULL)
            e = f + n;
        parts[np] = s;
        lens[np++] = (size_t)(e - s);
        s = e + 1;
    }
    l->n_line = np;
    l->line = arena_calloc(b->a, np + 1, sizeof(*l->line));
    for (i = 0; i < np; i++) {
        Perftools__Profiles__Line *ln = arena_calloc(b->a, 1, sizeof(*ln));
        const char *colon = pbb_line_suffix(parts[i], lens[i]);

        perftools__profiles__line__init(ln);
        ln->function_id = pbb_fn(b, parts[i], colon ? (size_t)(colon - parts[i]) : lens[i]);
        ln->line = colon ? strtoll(colon + 1, NULL, 10) : 0;
        l->line[np - 1 - i] = ln; /* innermost first */
    }
    return l->id;
}

/* A sample with stack "root;...;leaf" and one value per sample type. */
#define SAMPLE(b, stack, ...) pbb_sample((b), (stack), (const int64_t[]){__VA_ARGS__})
PBB_FN Perftools__Profiles__Sample *
pbb_sample(struct pbb *b, const char *stack, const int64_t *v)
{
    Perftools__Profiles__Sample *s = arena_calloc(b->a, 1, sizeof(*s));
    uint64_t ids[64];
    size_t n = 0, i;
    const char *p = stack;

    perftools__profiles__sample__init(s);
    while (*p != '\0' && n < 64) {
        size_t len = strcspn(p, ";");

        ids[n++] = pbb_loc(b, p, len);
        p += len + (p[len] == ';');
    }
    s->n_location_id = n;
    s->location_id = arena_calloc(b->a, n + 1, sizeof(*s->location_id));
    for (i = 0; i < n; i++)
        s->location_id[i] = ids[n - 1 - i]; /* leaf first */
    s->n_value = b->p.n_sample_type;
    s->value = arena_calloc(b->a, s->n_value + 1, sizeof(*s->value));
    memcpy(s->value, v, s->n_value * sizeof(*v));
    assert_true(b->p.n_sample < PBB_MAX);
    b->samples[b->p.n_sample++] = s;
    return s;
}

/* A mapping for binary file, id = its position + 1. */
PBB_FN Perftools__Profiles__Mapping *
pbb_mapping(struct pbb *b, const char *file)
{
    Perftools__Profiles__Mapping *m = arena_calloc(b->a, 1, sizeof(*m));

    perftools__profiles__mapping__init(m);
    assert_true(b->p.n_mapping < 8);
    m->id = b->p.n_mapping + 1;
    m->filename = pbb_str(b, file);
    b->maps[b->p.n_mapping++] = m;
    return m;
}

/* Adds a label to s: a string one when str is not NULL, else numeric. */
PBB_FN Perftools__Profiles__Label *
pbb_label(struct pbb *b, Perftools__Profiles__Sample *s, const char *key, const char *str,
          int64_t num, const char *unit)
{
    Perftools__Profiles__Label **ls = arena_calloc(b->a, s->n_label + 2, sizeof(*ls));
    Perftools__Profiles__Label *l = arena_calloc(b->a, 1, sizeof(*l));

    perftools__profiles__label__init(l);
    l->key = pbb_str(b, key);
    if (str != NULL)
        l->str = pbb_str(b, str);
    l->num = num;
    if (unit != NULL)
        l->num_unit = pbb_str(b, unit);
    if (s->n_label)
        memcpy(ls, s->label, s->n_label * sizeof(*ls));
    ls[s->n_label++] = l;
    s->label = ls;
    return l;
}

PBB_FN unsigned char *
pbb_pack(struct pbb *b, size_t *len)
{
    unsigned char *out;

    *len = perftools__profiles__profile__get_packed_size(&b->p);
    out = arena_alloc(b->a, *len + 1);
    assert_non_null(out);
    assert_int_equal(perftools__profiles__profile__pack(&b->p, out), *len);
    return out;
}

/* Packs b and decodes it into b's arena. */
PBB_FN struct profile *
pbb_profile(struct pbb *b)
{
    struct errbuf eb = {{0}};
    struct profile *p = NULL;
    unsigned char *data;
    size_t len;

    data = pbb_pack(b, &len);
    if (pprof_decode(b->a, data, len, &p, &eb) != HW_OK)
        fail_msg("pprof_decode: %s", eb.msg);
    return p;
}

/* Each test gets a fresh unlimited arena in *state; the teardown frees it even when
 * an assertion fails, so ASan reports no leak for a failing test. */
PBB_FN int
arena_setup(void **state)
{
    *state = arena_new(0);
    return *state == NULL ? -1 : 0;
}

PBB_FN int
arena_teardown(void **state)
{
    arena_free(*state);
    return 0;
}

#define ARENA_TEST(t) cmocka_unit_test_setup_teardown(t, arena_setup, arena_teardown)

/* For tests that write profiles to a temporary directory and ask `go tool pprof`
 * about them: an arena, the directory (removed afterwards), and whether go exists. */
struct fixture {
    struct arena *a;
    char dir[64];
    int have_go;
};

PBB_FN int
pbb_dir_setup(void **state, const char *prefix)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || (f->a = arena_new(0)) == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/%s_XXXXXX", prefix);
    if (mkdtemp(f->dir) == NULL)
        return -1;
    f->have_go = system("command -v go >/dev/null 2>&1") == 0;
    *state = f;
    return 0;
}

PBB_FN int
pbb_dir_teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    arena_free(f->a);
    free(f);
    return 0;
}

#endif /* HW_PBB_H */
