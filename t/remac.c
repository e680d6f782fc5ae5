/*
 * remac.c - what a co-recipient can do to an envelope without the sender:
 * unwrap the file key with their own age key, put a new xc-route stanza in
 * the header (another expiry, fresh random tag bits), and compute the
 * header MAC again.  The X25519 stanzas and the payload stay as they were,
 * so the letter is not "re-wrapped": the same message in a new envelope
 * with a new id, which only the replay check of xc-open can tell.  A test
 * tool for t/0760-replay.t, linked against lib/libxc.a; never installed.
 *
 *   remac KEYFILE EXPIRY < envelope > envelope
 *
 * Exit 0 on success, 2 on misuse, 1 on any other failure (with a message).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../lib/xc.h"

static int
die(const char *what)
{
	fprintf(stderr, "remac: %s: %s\n", what, xc_errdetail());
	return 1;
}

int
main(int argc, char **argv)
{
	static char text[XC_MAX_KEYFILE + 1];
	uint8_t *filekey, *raw, buf[65536];
	size_t n, line, i, rawlen, got;
	int fd0 = 0, fd1 = 1, rc;
	xc_header h;
	xc_ids *ids;
	xc_in in;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: remac KEYFILE EXPIRY < envelope\n");
		return 2;
	}
	if (sodium_init() < 0 || (ids = xc_ids_new()) == NULL ||
	    (filekey = sodium_malloc(XC_FILE_KEY_BYTES)) == NULL)
		return die("init");
	if ((f = fopen(argv[1], "r")) == NULL)
		return die(argv[1]);
	n = fread(text, 1, XC_MAX_KEYFILE, f);
	fclose(f);
	if (xc_ids_parse(ids, text, n, &line) < 0)
		return die("key file");
	xc_in_init(&in, (xc_rd){ xc_fd_read, &fd0 });
	if (xc_header_parse(&in, &h) < 0)
		return die("header");
	if (xc_age_unwrap(&h, ids, filekey, NULL) < 0)
		return die("unwrap");
	for (i = 0; i < h.nst; i++)
		if (strcmp(h.st[i].args[0], "xc-route") == 0 &&
		    h.st[i].nargs == 3) {
			h.st[i].args[2] = argv[2];
			/* The bits after each tag's prefix are random. */
			for (n = 0; n + XC_TAG_LEN <= h.st[i].bodylen;
			    n += XC_TAG_LEN)
				h.st[i].body[n + XC_TAG_LEN - 1] ^=
				    (uint8_t)(1 + randombytes_uniform(255));
		}
	if ((rc = xc_header_marshal(&h, &raw, &rawlen)) < 0 ||
	    (rc = xc_header_mac(h.mac, filekey, raw, rawlen)) < 0 ||
	    (rc = xc_header_write((xc_wr){ xc_fd_write, &fd1 }, &h)) < 0)
		return die("write");
	while ((rc = xc_in_read(&in, buf, sizeof buf, &got)) == 0 && got > 0)
		if (xc_fd_write(&fd1, buf, got) < 0)
			return die("write");
	free(raw);
	xc_header_free(&h);
	xc_ids_free(ids);
	sodium_free(filekey);
	return rc < 0 ? die("read") : 0;
}
