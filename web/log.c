/* log.c - stderr lines "2026-11-23T10:15:00.123Z INFO func: message". The line is
 * formatted into one buffer and written with a single write(2), so lines from the
 * scraper, the workers and the HTTP threads never interleave, even without a lock. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static volatile int log_min = LOG_INFO;

void
log_set_level(enum log_level level)
{
    log_min = level;
}

int
log_level_parse(const char *s)
{
    if (strcmp(s, "debug") == 0)
        return LOG_DEBUG;
    if (strcmp(s, "info") == 0)
        return LOG_INFO;
    if (strcmp(s, "warn") == 0)
        return LOG_WARN;
    return -1;
}

void
log_write(enum log_level level, const char *func, int with_errno, const char *fmt, ...)
{
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "FATAL"};
    char line[2048];
    struct timespec ts;
    struct tm tm;
    int saved = errno;
    size_t n;
    va_list ap;

    if ((int)level < log_min)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s: ", ts.tv_nsec / 1000000,
                          names[level], func);
    va_start(ap, fmt);
    if (n < sizeof(line))
        n += (size_t)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (with_errno && n < sizeof(line))
        n += (size_t)snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved));
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2; /* cut an over-long line, keep its newline */
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, n) < 0)
        return; /* nowhere left to say it */
    errno = saved;
}
