/* test_units.c - pprof's value and percentage formatting. Every expected string was
 * read off `go tool pprof -top` (Go 1.19's vendored pprof) for a tiny profile holding
 * the value: -unit=auto scales each value on its own, -unit=kB etc. force a unit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "units.h"

struct label_case {
    int64_t value;
    const char *from, *to, *want;
};

static void
check_labels(const struct label_case *c, size_t n)
{
    char out[64];
    size_t i;

    for (i = 0; i < n; i++) {
        memset(out, 'x', sizeof(out));
        units_label(c[i].value, c[i].from, c[i].to, out, sizeof(out));
        if (strcmp(out, c[i].want) != 0)
            fail_msg("units_label(%lld, %s, %s) = \"%s\", pprof prints \"%s\"",
                     (long long)c[i].value, c[i].from, c[i].to, out, c[i].want);
    }
}

static void
test_bytes_auto(void **state)
{
    static const struct label_case c[] = {
        {1536, "bytes", "auto", "1.50kB"},
        {1048576, "bytes", "auto", "1MB"},
        {1, "bytes", "auto", "1B"},
        {1023, "bytes", "auto", "1023B"},
        {1024, "bytes", "auto", "1kB"},
        {1610612736, "bytes", "auto", "1.50GB"},
        {1099511627776, "bytes", "auto", "1TB"},
        {3377699720527872, "bytes", "auto", "3PB"},
    };

    (void)state;
    check_labels(c, sizeof(c) / sizeof(c[0]));
}

static void
test_bytes_fixed_unit(void **state)
{
    static const struct label_case c[] = {
        {1048576, "bytes", "kB", "1024kB"},
        {1023, "bytes", "kB", "1kB"}, /* 0.999 rounds to "1.00" */
        {1536, "bytes", "kB", "1.50kB"},
        {1610612736, "bytes", "kB", "1572864kB"},
        {1610612736, "bytes", "MB", "1536MB"},
        {1048576, "bytes", "MB", "1MB"},
        {1610612736, "bytes", "GB", "1.50GB"},
        {3377699720527872, "bytes", "GB", "3145728GB"},
        {1536, "bytes", "B", "1536B"},
    };

    (void)state;
    check_labels(c, sizeof(c) / sizeof(c[0]));
}

/* A target unit of another kind (or none) gives the kind's default unit. */
static void
test_bytes_foreign_target_unit(void **state)
{
    static const struct label_case c[] = {
        {1536, "bytes", "count", "1536B"},
        {1536, "bytes", "s", "1536B"},
        {1536, "bytes", "minimum", "1.50kB"},
    };

    (void)state;
    check_labels(c, sizeof(c) / sizeof(c[0]));
}

/* Zero, and anything that rounds to zero at two decimals, is a bare "0". */
static void
test_zero(void **state)
{
    static const struct label_case c[] = {
        {0, "bytes", "auto", "0"},
        {0, "nanoseconds", "auto", "0"},
        {0, "count", "auto", "0"},
        {1, "bytes", "kB", "0"},
        {1536, "bytes", "MB", "0"},
        {-2048, "bytes", "MB", "0"}, /* "-0.00" is printed as "0" too */
        {-3000, "nanoseconds", "ms", "0"},
        {1500000, "nanoseconds", "s", "0"},
    };

    (void)state;
    check_labels(c, sizeof(c) / sizeof(c[0]));
}

static void
test_negative(void **state)
{
    static const struct label_case c[] = {
        {-2048, "bytes", "auto", "-2kB"},     {-2048, "bytes", "kB", "-2kB"},
        {-2048, "bytes", "B", "-2048B"},      {-3000, "nanoseconds", "auto", "-3us"},
        {-3000, "nanoseconds", "us", "-3us"}, {-5, "count", "auto", "-5"},
    };

    (void)state;
    check_labels(c, sizeof(c) / sizeof(c[0]));
}

static void
test_nanoseconds(void **state)
{
    static const struct label_case c[] = {
        {1, "nanoseconds", "auto", "1ns"},
        {999, "nanoseconds", "auto", "999ns"},
        {1500, "nanoseconds", "auto", "1.50us"},
        {1500000, "nanoseconds", "auto", "1.50ms"},
        {2000000000, "nanoseconds", "auto", "2s"},
        {59000000000, "nanoseconds", "auto", "59s"},
        {7200000000000, "nanoseconds", "auto", "2hrs"},
        {5400000000000, "nanoseconds", "auto", "1.50hrs"},
        {7200000000000, "nanoseconds", "ms", "7200000ms"},
        {2000000000, "nanoseconds", "ms", "2000ms"},
        {1500000, "nanoseconds", "ms", "1.50ms"},
        {7200000000000, "nanoseconds", "s", "7200s"},
        {59000000000, "nanoseconds", "hrs", "0.02hrs"},
        {5400000000000, "nanoseconds", "hrs", "1.50hrs"},
        {2000000000, "nanoseconds", "hrs", "0"},
        {1500000, "nanoseconds", "us", "1500us"},
        {999, "nanoseconds", "us", "1us"},
        {1, "nanoseconds", "us", "0"},
    };

    (void)state;
    check_labels(c, sizeof(c) / sizeof(c[0]));
}

/* Source units other than bytes and nanoseconds, spelled as profiles spell them. */
static void
test_other_source_units(void **state)
{
    static const struct label_case c[] = {
        {1500, "microseconds", "auto", "1.50ms"}, {3, "microseconds", "auto", "3us"},
        {1536, "kilobytes", "auto", "1.50MB"},    {2500, "MilliGCUs", "auto", "2.50GCU"},
        {2048, "Bytes", "auto", "2kB"},
    };

    (void)state;
    check_labels(c, sizeof(c) / sizeof(c[0]));
}

/* Counts and unknown units print the plain number; an unknown target unit is
 * appended as written, a known one of another kind too (pprof prints "7kB"). */
static void
test_counts_unitless(void **state)
{
    static const struct label_case c[] = {
        {1234, "count", "auto", "1234"}, {1234567, "count", "auto", "1234567"},
        {1, "count", "count", "1"},      {7, "widgets", "auto", "7"},
        {7, "widgets", "count", "7"},    {7, "widgets", "widgets", "7widgets"},
        {7, "widgets", "foo", "7foo"},   {7, "widgets", "kB", "7kB"},
    };

    (void)state;
    check_labels(c, sizeof(c) / sizeof(c[0]));
}

/* "minimum" and "auto" pick the largest unit that keeps the value at least 1; when
 * none does (zero) the kind's default unit is named. */
static void
test_scale_unit_choice(void **state)
{
    static const struct {
        int64_t value;
        const char *from, *to;
        double want;
        const char *unit;
    } c[] = {
        {1536, "bytes", "minimum", 1.5, "kB"},
        {1536, "bytes", "auto", 1.5, "kB"},
        {1023, "bytes", "minimum", 1023, "B"},
        {1048576, "bytes", "minimum", 1, "MB"},
        {0, "bytes", "minimum", 0, "B"},
        {0, "nanoseconds", "minimum", 0, "s"},
        {1500, "nanoseconds", "minimum", 1.5, "us"},
        {-1536, "bytes", "minimum", -1.5, "kB"},
        {42, "count", "minimum", 42, ""},
        {42, "count", "auto", 42, ""},
        {42, "count", "sample", 42, ""},
        {42, "count", "unit", 42, ""},
        {42, "objects", "things", 42, "things"},
        {3, "seconds", "ms", 3000, "ms"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *unit = "unset";
        double v = units_scale(c[i].value, c[i].from, c[i].to, &unit);

        if (v != c[i].want || strcmp(unit, c[i].unit) != 0)
            fail_msg("units_scale(%lld, %s, %s) = %g \"%s\", want %g \"%s\"", (long long)c[i].value,
                     c[i].from, c[i].to, v, unit, c[i].want, c[i].unit);
    }
}

static void
test_int64_min_does_not_recurse(void **state)
{
    char out[64];

    (void)state;
    /* Go's Scale falls through for MinInt64 (its negation overflows); so do we. */
    units_label(INT64_MIN, "bytes", "auto", out, sizeof(out));
    assert_string_equal(out, "-9223372036854775808B");
    units_label(INT64_MIN, "count", "auto", out, sizeof(out));
    assert_string_equal(out, "-9223372036854775808");
}

static void
test_label_truncates_to_buffer(void **state)
{
    char out[8];

    (void)state;
    memset(out, 'x', sizeof(out));
    units_label(1234567, "count", "auto", out, 4);
    assert_string_equal(out, "123");
    assert_int_equal(out[4], 'x');
}

static void
test_percentages(void **state)
{
    static const struct {
        int64_t value, total;
        const char *want;
    } c[] = {
        {500000, 1000000, "50.00%"},
        {494880, 1000000, "49.49%"},
        {5000, 1000000, "  0.5%"},
        {120, 1000000, "0.012%"},
        {1000000, 1000000, "  100%"},
        {9994, 10000, "99.94%"},
        {6, 10000, " 0.06%"},
        {99950, 100000, "  100%"},
        {50, 100000, " 0.05%"},
        {1234, 1235807, "  0.1%"},
        {1234567, 1235807, "99.90%"},
        {-5, 1235807, "0.0004%"},
        {1, 1235807, "8.1e-05%"},
        {1, 3378800843822592, "3e-14%"},
        {3, 5, "60.00%"},
        {-1, 5, "20.00%"},
        {5, -5, "  100%"},
        {0, 0, "    0%"},
        {7, 0, "    0%"},
    };
    char out[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        units_percentage(c[i].value, c[i].total, out, sizeof(out));
        if (strcmp(out, c[i].want) != 0)
            fail_msg("units_percentage(%lld, %lld) = \"%s\", pprof prints \"%s\"",
                     (long long)c[i].value, (long long)c[i].total, out, c[i].want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_auto),
        cmocka_unit_test(test_bytes_fixed_unit),
        cmocka_unit_test(test_bytes_foreign_target_unit),
        cmocka_unit_test(test_zero),
        cmocka_unit_test(test_negative),
        cmocka_unit_test(test_nanoseconds),
        cmocka_unit_test(test_other_source_units),
        cmocka_unit_test(test_counts_unitless),
        cmocka_unit_test(test_scale_unit_choice),
        cmocka_unit_test(test_int64_min_does_not_recurse),
        cmocka_unit_test(test_label_truncates_to_buffer),
        cmocka_unit_test(test_percentages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
