/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "edge_log.h"

static const char *log_tool = "edge";
static int log_verbosity;
static bool log_quiet;

void
edge_log_init(const char *tool_name, int verbosity, bool quiet)
{
	log_tool = tool_name;
	log_verbosity = verbosity;
	log_quiet = quiet;
}

static void vline(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One write per line keeps lines whole when several tools share stderr. */
	fprintf(stderr, "%s: %s%s\n", log_tool, prefix, buf);
}

void
edge_log_error(const char *msg)
{
	fprintf(stderr, "%s: %s\n", log_tool, msg);
}

void
edge_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("warning: ", fmt, ap);
	va_end(ap);
}

void
edge_note(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet)
		return;
	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
}

void
edge_verbose(int level, const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < level)
		return;
	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
}

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running, stop;
	int fd;			/* the terminal, kept while PKCS#11 work hides stderr */
	char what[200];
	struct timespec start;
} progress = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static double
elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - progress.start.tv_sec) +
	    (double)(now.tv_nsec - progress.start.tv_nsec) / 1e9;
}

static void *
spin(void *arg)
{
	static const char wheel[] = "|/-\\";
	unsigned i = 0;

	(void)arg;
	pthread_mutex_lock(&progress.lock);
	while (!progress.stop) {
		struct timespec until;

		dprintf(progress.fd, "\r%s: %s %c %.1f s ", log_tool, progress.what,
		    wheel[i++ % 4], elapsed());
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&progress.cond, &progress.lock, &until);
	}
	pthread_mutex_unlock(&progress.lock);
	return NULL;
}

void
edge_progress_start(const char *what)
{
	if (log_quiet || !isatty(STDERR_FILENO) || progress.running)
		return;
	snprintf(progress.what, sizeof(progress.what), "%s", what);
	clock_gettime(CLOCK_MONOTONIC, &progress.start);
	progress.stop = false;
	if ((progress.fd = dup(STDERR_FILENO)) < 0)
		return;
	if (pthread_create(&progress.thread, NULL, spin, NULL) == 0)
		progress.running = true;
	else
		close(progress.fd);
}

void
edge_progress_stop(bool ok)
{
	if (!progress.running)
		return;
	pthread_mutex_lock(&progress.lock);
	progress.stop = true;
	pthread_cond_signal(&progress.cond);
	pthread_mutex_unlock(&progress.lock);
	pthread_join(progress.thread, NULL);
	progress.running = false;
	dprintf(progress.fd, "\r%s: %s: %s (%.1f s)\033[K\n", log_tool,
	    progress.what, ok ? "done" : "failed", elapsed());
	close(progress.fd);
}
