/* SPDX-License-Identifier: MIT
 * runstat: run one command, print its wall time and peak RSS.
 *
 *   runstat [-i FILE] [-o FILE] [-e FILE] -- CMD [ARG...]
 *
 * Prints one line on stdout: "WALL_SECONDS MAXRSS_KB EXIT_STATUS CPU_SECONDS"
 * (exit status 128+N when killed by signal N; CPU = user + system time of CMD
 * and the descendants it waited for).  Wall time is CLOCK_MONOTONIC from just
 * before fork to the end of wait4(); peak RSS is ru_maxrss of that child (and
 * of the descendants it waited for, as the kernel accounts it).  stdin, stdout
 * and stderr of CMD go to /dev/null unless -i, -o, -e name files.
 * Bench harness only (bench/run); not installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags, 0644);
	if (fd < 0) {
		fprintf(stderr, "runstat: %s: %s\n", path, strerror(errno));
		exit(125);
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *in = "/dev/null", *out = "/dev/null", *err = "/dev/null";
	int i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--")) { i++; break; }
		if (i + 1 >= argc) break;
		if (!strcmp(argv[i], "-i")) in = argv[++i];
		else if (!strcmp(argv[i], "-o")) out = argv[++i];
		else if (!strcmp(argv[i], "-e")) err = argv[++i];
		else break;
	}
	if (i >= argc) {
		fputs("usage: runstat [-i FILE] [-o FILE] [-e FILE] -- CMD [ARG...]\n", stderr);
		return 125;
	}
	int fi = open_or_die(in, O_RDONLY);
	int fo = open_or_die(out, O_WRONLY | O_CREAT | O_TRUNC);
	int fe = open_or_die(err, O_WRONLY | O_CREAT | O_TRUNC);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) { perror("runstat: fork"); return 125; }
	if (pid == 0) {
		dup2(fi, 0); dup2(fo, 1); dup2(fe, 2);
		execvp(argv[i], argv + i);
		dprintf(2, "runstat: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	int st = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) { perror("runstat: wait4"); return 125; }
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("%.6f %ld %d %.6f\n", wall, ru.ru_maxrss, rc, cpu);
	return 0;
}
