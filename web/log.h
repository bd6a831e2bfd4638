/* log.h - the service's log: one line per event on stderr with the time, the level
 * and the function that logged. Safe from any thread; lines never interleave. */
#ifndef HW_LOG_H
#define HW_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_FATAL };

/* Lines below level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn"; -1 when unknown. */
int log_level_parse(const char *s);

void log_write(enum log_level level, const char *func, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_debug(...) log_write(LOG_DEBUG, __func__, 0, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __func__, 0, __VA_ARGS__)
/* log_warn appends strerror(errno); log_warnx does not. */
#define log_warn(...) log_write(LOG_WARN, __func__, 1, __VA_ARGS__)
#define log_warnx(...) log_write(LOG_WARN, __func__, 0, __VA_ARGS__)
#endif
