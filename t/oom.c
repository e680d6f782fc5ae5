/*
 * oom.c - an LD_PRELOAD shim for t/0510-oom.t (TESTPLAN B12): the
 * XC_OOM_N-th call to malloc, calloc or realloc (counted from 1) fails
 * with ENOMEM, once; every other call is passed on.  It shows how the
 * programs behave when memory runs out at each point in turn.  With
 * XC_OOM_REPORT=FILE the number of calls is written to FILE at exit, so a
 * test knows how many points there are.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static long count, fail_at = -1;
static int resolving;

/* dlsym may allocate: serve it from a small static arena meanwhile. */
static char boot[4096];
static size_t boot_used;

static void *
boot_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof boot)
		return NULL;
	p = boot + boot_used;
	boot_used += n;
	return p;
}

static void
init(void)
{
	const char *e;

	if (real_malloc != NULL || resolving)
		return;
	resolving = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	resolving = 0;
	if ((e = getenv("XC_OOM_N")) != NULL)
		fail_at = atol(e);
}

static int
should_fail(void)
{
	return ++count == fail_at;
}

void *
malloc(size_t n)
{
	init();
	if (real_malloc == NULL)
		return boot_alloc(n);
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
	void *p;

	init();
	if (real_calloc == NULL) {
		if (b && a > (size_t)-1 / b)
			return NULL;
		if ((p = boot_alloc(a * b)) != NULL)
			memset(p, 0, a * b);
		return p;
	}
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
	init();
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_realloc(p, n);
}

void
free(void *p)
{
	static void (*real_free)(void *);

	if ((char *)p >= boot && (char *)p < boot + sizeof boot)
		return;
	if (real_free == NULL)
		real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	real_free(p);
}

__attribute__((destructor)) static void
report(void)
{
	const char *path = getenv("XC_OOM_REPORT");
	char buf[32];
	int fd, n;

	if (path == NULL ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return;
	n = snprintf(buf, sizeof buf, "%ld\n", count);
	if (write(fd, buf, (size_t)n) < 0)
		n = 0;
	close(fd);
}
