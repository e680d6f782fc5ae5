/*
 * options.c - linked into every fuzz target.  ASan's default 256 MiB
 * quarantine counts towards RSS, so under libFuzzer's -rss_limit_mb=256 it
 * reports an out-of-memory that is not ours; a small quarantine keeps the
 * limit meaningful for the code under test.
 */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}
