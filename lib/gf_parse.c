/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

int
gf_parse_int(const char *s, long long min, long long max, const char *what,
    long long *out, struct gf_err *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || isspace((unsigned char)*s))
		return gf_err_set(err, GF_EXIT_USAGE, NULL,
		    "%s: '%s' is not a whole number", what, s);
	if (errno == ERANGE || v < min || v > max)
		return gf_err_set(err, GF_EXIT_USAGE, NULL,
		    "%s: %s is out of range [%lld, %lld]", what, s, min, max);
	*out = v;
	return 0;
}

int
gf_parse_double(const char *s, const char *what, double *out,
    struct gf_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || isspace((unsigned char)*s))
		return gf_err_set(err, GF_EXIT_USAGE, NULL,
		    "%s: '%s' is not a number", what, s);
	if (errno == ERANGE || !isfinite(v))
		return gf_err_set(err, GF_EXIT_USAGE, NULL,
		    "%s: '%s' is out of range", what, s);
	*out = v;
	return 0;
}

static double
unit_seconds(const char *u, size_t n)
{
	static const struct { const char *name; double secs; } units[] = {
		{ "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
		{ "d", 86400 }, { "w", 604800 },
	};

	for (size_t i = 0; i < GF_ARRAY_LEN(units); i++)
		if (strlen(units[i].name) == n &&
		    strncmp(u, units[i].name, n) == 0)
			return units[i].secs;
	return -1;
}

int
gf_parse_duration(const char *s, const char *what, double *seconds,
    struct gf_err *err)
{
	const char *p = s;
	double total = 0;

	if (*s == '\0')
		goto bad;
	while (*p != '\0') {
		char *end;
		const char *u;
		double v, mult;

		if (!isdigit((unsigned char)*p) && *p != '.')
			goto bad;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno == ERANGE || v < 0)
			goto bad;
		u = end;
		while (isalpha((unsigned char)*end))
			end++;
		if (end == u) {
			/*
			 * A bare number is seconds, only as the whole
			 * string.
			 */
			if (p != s || *end != '\0')
				goto bad;
			mult = 1;
		} else if ((mult = unit_seconds(u, (size_t)(end - u))) < 0) {
			goto bad;
		}
		total += v * mult;
		p = end;
	}
	if (!isfinite(total))
		goto bad;
	*seconds = total;
	return 0;
bad:
	return gf_err_set(err, GF_EXIT_USAGE, NULL,
	    "%s: '%s' is not a duration (examples: 90s, 15m, 2h, 1h30m)",
	    what, s);
}

static int
digits(const char *p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* days_from_civil: proleptic Gregorian date to days since 1970-01-01. */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
parse_rfc3339(const char *s, double *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	double frac = 0;
	const char *p = s;
	long long days;
	double t;

	if (strlen(s) < 20 || digits(p, 4, &y) || p[4] != '-' ||
	    digits(p + 5, 2, &mo) || p[7] != '-' || digits(p + 8, 2, &d) ||
	    (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    digits(p + 11, 2, &h) || p[13] != ':' || digits(p + 14, 2, &mi) ||
	    p[16] != ':' || digits(p + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	p += 19;
	if (*p == '.') {
		double scale = 0.1;

		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om))
			return -1;
		oh *= sign;
		om *= sign;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	days = days_from_civil(y, mo, d);
	t = (double)days * 86400 + h * 3600 + mi * 60 + sec + frac;
	t -= oh * 3600 + om * 60;
	*out = t;
	return 0;
}

int
gf_parse_time(const char *s, const char *what, double *unix_seconds,
    struct gf_err *err)
{
	struct gf_err ignored = GF_ERR_INIT;
	double v;

	if (strncmp(s, "now", 3) == 0) {
		double back = 0;

		if (s[3] == '-' &&
		    gf_parse_duration(s + 4, what, &back, &ignored) < 0)
			goto bad;
		if (s[3] != '\0' && s[3] != '-')
			goto bad;
		*unix_seconds = gf_time_now() - back;
		if (!gf_time_ok(*unix_seconds))
			return gf_err_set(err, GF_EXIT_USAGE, NULL,
			    "%s: '%s' is out of range (years 1 to 9999)",
			    what, s);
		return 0;
	}
	if ((gf_parse_double(s, what, &v, &ignored) == 0 && v >= 0) ||
	    parse_rfc3339(s, &v) == 0) {
		if (!gf_time_ok(v))
			return gf_err_set(err, GF_EXIT_USAGE, NULL,
			    "%s: '%s' is out of range (years 1 to 9999)",
			    what, s);
		*unix_seconds = v;
		return 0;
	}
bad:
	return gf_err_set(err, GF_EXIT_USAGE, NULL,
	    "%s: '%s' is not a time (unix seconds or RFC 3339, e.g. "
	    "2026-11-23T18:00:00Z)", what, s);
}

int
gf_parse_size(const char *s, const char *what, uint64_t *bytes,
    struct gf_err *err)
{
	static const struct { const char *name; double mult; } units[] = {
		{ "", 1 }, { "b", 1 }, { "k", 1e3 }, { "kb", 1e3 },
		{ "m", 1e6 }, { "mb", 1e6 }, { "g", 1e9 }, { "gb", 1e9 },
		{ "t", 1e12 }, { "tb", 1e12 }, { "kib", 1024.0 },
		{ "mib", 1048576.0 }, { "gib", 1073741824.0 },
		{ "tib", 1099511627776.0 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || v < 0 || !isfinite(v))
		goto bad;
	for (size_t i = 0; i < GF_ARRAY_LEN(units); i++) {
		if (strcasecmp(end, units[i].name) == 0) {
			v *= units[i].mult;
			if (v > 1.8e19)
				goto bad;
			*bytes = (uint64_t)v;
			return 0;
		}
	}
bad:
	return gf_err_set(err, GF_EXIT_USAGE, NULL,
	    "%s: '%s' is not a size (examples: 50MB, 1GiB, 4096)", what, s);
}

double
gf_time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double
gf_time_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
gf_time_sleep(double seconds, int wake_on_signal)
{
	/* A day at a time: any double of seconds, and time_t never overflows. */
	while (seconds > 0) {
		double part = seconds > 86400 ? 86400 : seconds;
		struct timespec ts;

		ts.tv_sec = (time_t)part;
		ts.tv_nsec = (long)((part - (double)ts.tv_sec) * 1e9);
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			if (wake_on_signal)
				return;
		seconds -= part;
	}
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in unix seconds. */
#define TIME_MIN (-62135596800.0)
#define TIME_MAX 253402300799.999

int
gf_time_ok(double t)
{
	return t >= TIME_MIN && t <= TIME_MAX;
}

char *
gf_time_format(double unix_seconds, int with_ms, char buf[32])
{
	double t = isnan(unix_seconds) ? 0 : fmin(fmax(unix_seconds,
	    TIME_MIN), TIME_MAX);
	time_t secs = (time_t)floor(t);
	int ms = (int)lround((t - (double)secs) * 1000);
	struct tm tm;

	if (ms >= 1000) {
		secs++;
		ms -= 1000;
	}
	gmtime_r(&secs, &tm);
	/*
	 * %Y does not pad years below 1000 to four digits. The moduli
	 * change nothing in range; they show the compiler the widths.
	 */
	snprintf(buf, 32, "%04u-%02u-%02uT%02u:%02u:%02u",
	    (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)(tm.tm_mon + 1) %
	    100, (unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100,
	    (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
	if (with_ms)
		snprintf(buf + 19, 13, ".%03uZ", (unsigned)ms % 1000);
	else
		snprintf(buf + 19, 13, "Z");
	return buf;
}

size_t
gf_parse_list(const char *s, char ***out)
{
	char *copy = gf_xstrdup(s), *save = NULL;
	size_t n = 0;

	*out = NULL;
	for (char *t = strtok_r(copy, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (*t == '\0')
			continue;
		*out = gf_xreallocarray(*out, n + 2, sizeof(char *));
		(*out)[n++] = gf_xstrdup(t);
		(*out)[n] = NULL;
	}
	free(copy);
	return n;
}

int
gf_list_has(const char *const *list, const char *s)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

void
gf_list_free(char **list)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}
