/* units.c - pprof's measurement rules. Unit names are matched case-insensitively and
 * with a plural "s" removed (for names longer than two letters), against a table of
 * aliases per kind of unit. */
#include "units.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

struct unit {
    const char *name;
    const char *aliases[4];
    double factor;
};

struct unit_kind {
    const struct unit *units;
    size_t n;
    struct unit deflt;
};

static const struct unit byte_units[] = {
    {"B", {"b", "byte"}, 1},
    {"kB", {"kb", "kbyte", "kilobyte"}, 1024.0},
    {"MB", {"mb", "mbyte", "megabyte"}, 1048576.0},
    {"GB", {"gb", "gbyte", "gigabyte"}, 1073741824.0},
    {"TB", {"tb", "tbyte", "terabyte"}, 1099511627776.0},
    {"PB", {"pb", "pbyte", "petabyte"}, 1125899906842624.0},
};
static const struct unit time_units[] = {
    {"ns", {"ns", "nanosecond"}, 1},
    {"us", {"\xce\xbcs", "us", "microsecond"}, 1e3},
    {"ms", {"ms", "millisecond"}, 1e6},
    {"s", {"s", "sec", "second"}, 1e9},
    {"hrs", {"hour", "hr"}, 3600e9},
};
static const struct unit gcu_units[] = {
    {"n*GCU", {"nanogcu"}, 1e-9}, {"u*GCU", {"microgcu"}, 1e-6}, {"m*GCU", {"milligcu"}, 1e-3},
    {"GCU", {"gcu"}, 1},          {"k*GCU", {"kilogcu"}, 1e3},   {"M*GCU", {"megagcu"}, 1e6},
    {"G*GCU", {"gigagcu"}, 1e9},  {"T*GCU", {"teragcu"}, 1e12},  {"P*GCU", {"petagcu"}, 1e15},
};
static const struct unit_kind kinds[] = {
    {byte_units, 6, {"B", {"b", "byte"}, 1}},
    {time_units, 5, {"s", {NULL}, 1e9}},
    {gcu_units, 9, {"GCU", {NULL}, 1}},
};

static const struct unit *
sniff(const struct unit_kind *k, const char *name)
{
    char low[64];
    size_t i, j, n = strlen(name);

    if (n >= sizeof(low))
        return NULL;
    for (i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    if (n > 2 && low[n - 1] == 's')
        low[n - 1] = '\0';
    for (i = 0; i < k->n; i++)
        for (j = 0; j < 4 && k->units[i].aliases[j] != NULL; j++)
            if (strcmp(low, k->units[i].aliases[j]) == 0)
                return &k->units[i];
    return NULL;
}

static int
convert(const struct unit_kind *k, int64_t value, const char *from, const char *to, double *out,
        const char **unit)
{
    const struct unit *fu = sniff(k, from), *tu;
    double v, f = 0;
    size_t i;

    if (fu == NULL)
        return 0;
    v = (double)value * fu->factor;
    if (strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0) {
        for (i = 0; i < k->n; i++)
            if (k->units[i].factor >= f && v / k->units[i].factor >= 1.0) {
                f = k->units[i].factor;
                *unit = k->units[i].name;
            }
        if (f != 0) {
            *out = v / f;
            return 1;
        }
        *out = v / k->deflt.factor;
        *unit = k->deflt.name;
        return 1;
    }
    if ((tu = sniff(k, to)) == NULL) {
        *out = v / k->deflt.factor;
        *unit = k->deflt.name;
        return 1;
    }
    *out = v / tu->factor;
    *unit = tu->name;
    return 1;
}

double
units_scale(int64_t value, const char *from, const char *to, const char **unit_out)
{
    double v;
    size_t i;

    if (value < 0 && value != INT64_MIN) {
        v = units_scale(-value, from, to, unit_out);
        return -v;
    }
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (convert(&kinds[i], value, from, to, &v, unit_out))
            return v;
    if (strcmp(to, "count") == 0 || strcmp(to, "sample") == 0 || strcmp(to, "unit") == 0 ||
        strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0)
        *unit_out = "";
    else
        *unit_out = to;
    return (double)value;
}

void
units_label(int64_t value, const char *from, const char *to, char *out, size_t n)
{
    const char *unit;
    double v = units_scale(value, from, to, &unit);
    char num[400];
    size_t len;

    snprintf(num, sizeof(num), "%.2f", v);
    len = strlen(num);
    if (len >= 3 && strcmp(num + len - 3, ".00") == 0)
        num[len - 3] = '\0';
    if (strcmp(num, "0") == 0 || strcmp(num, "-0") == 0) {
        snprintf(out, n, "0");
        return;
    }
    snprintf(out, n, "%s%s", num, unit);
}

void
units_percentage(int64_t value, int64_t total, char *out, size_t n)
{
    double ratio = 0;

    if (total != 0)
        ratio = fabs((double)value / (double)total) * 100;
    if (ratio >= 99.95 && ratio <= 100.05)
        snprintf(out, n, "  100%%");
    else if (ratio >= 1.0)
        snprintf(out, n, "%5.2f%%", ratio);
    else
        snprintf(out, n, "%5.2g%%", ratio);
}
