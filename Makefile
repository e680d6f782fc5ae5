# xc - plain make.  `make` builds the lib/libxc-*.a layers and bin/;
# `make check` runs every test through prove; see README for the rest.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

CC ?= cc
PKG_CONFIG ?= pkg-config
SODIUM_CFLAGS != $(PKG_CONFIG) --cflags libsodium 2>/dev/null || true
SODIUM_LIBS != $(PKG_CONFIG) --libs libsodium 2>/dev/null || echo -lsodium
JSON_CFLAGS != $(PKG_CONFIG) --cflags libcjson 2>/dev/null || true
JSON_LIBS != $(PKG_CONFIG) --libs libcjson 2>/dev/null || echo -lcjson
# Nettle's SHA-256 (SHA-NI where the CPU has it) hashes letter parts.
NETTLE_CFLAGS != $(PKG_CONFIG) --cflags nettle 2>/dev/null || true
NETTLE_LIBS != $(PKG_CONFIG) --libs nettle 2>/dev/null || echo -lnettle
# OpenSSL's libcrypto carries the AEAD of large payloads; it is loaded at
# run time (dlopen, lib/stream.c), so only its headers are needed here.
CRYPTO_CFLAGS != $(PKG_CONFIG) --cflags libcrypto 2>/dev/null || true
CRYPTO_LIBS != $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto
# OpenSSL's libssl: TLS for the network client (lib/tls.c), in the net
# layer; --as-needed records it only in programs that call it.
SSL_CFLAGS != $(PKG_CONFIG) --cflags libssl libcrypto 2>/dev/null || true
SSL_LIBS != $(PKG_CONFIG) --libs libssl libcrypto 2>/dev/null || echo -lssl -lcrypto
# libarchive is a test dependency only: t/craft writes hostile tars with it
# and reads letters back with it, an implementation independent of ours.
ARCHIVE_CFLAGS != $(PKG_CONFIG) --cflags libarchive 2>/dev/null || true
ARCHIVE_LIBS != $(PKG_CONFIG) --libs libarchive 2>/dev/null || echo -larchive

WARN = -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wno-unused-parameter
HARDEN = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS ?= -O2 -g
XCFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
	$(HARDEN) -pthread $(SODIUM_CFLAGS) $(JSON_CFLAGS) $(NETTLE_CFLAGS) \
	$(CRYPTO_CFLAGS)
LDFLAGS ?=
# --as-needed: a program records only the shared libraries it calls.
XLDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,--as-needed
LINK = $(CC) $(XLDFLAGS) $(LDFLAGS) -o $@

# libxc is four static archives, each a layer that calls only the layers
# below it, so that a program links (and the dynamic loader maps) only
# what it uses; see README, "Layout".  On a link line, higher layers come
# first.  A new library object goes into the list of its layer; a new
# program gets a rule like xc-send's, with the LINK_* of its top layer.
#   age     the age v1 format and the envelope around it (its names, and
#           the spool marker a sender reads for the max-size), the
#           directory-relative file layer under everything, and a pipe
#           between two threads: libsodium
#   id      JSON, cards, the keyring, contacts, replays, minisign
#           signatures, the keyed stores of state/, the config file and
#           the syntax of the server URLs and pins it names: + cJSON
#   letter  letters (tar subset, seal, open): + Nettle, zlib
#   net     transports: the spool, the NNTP client, its proof-of-work, the
#           servers of xc-send and xc-fetch, cards published and looked
#           up, and SOCKS5 and TLS under its connections: + libssl
AGE_OBJ = lib/err.o lib/b64.o lib/bech32.o lib/hkdf.o lib/io.o \
	lib/header.o lib/keys.o lib/age.o lib/stream.o lib/armor.o \
	lib/envelope.o lib/dirio.o lib/pipe.o
ID_OBJ = lib/json.o lib/card.o lib/keyring.o lib/minisign.o lib/contacts.o \
	lib/replay.o lib/store.o lib/config.o lib/url.o
LETTER_OBJ = lib/tar.o lib/letter.o lib/letter-seal.o lib/letter-open.o
NET_OBJ = lib/spool.o lib/pow.o lib/net.o lib/nntp.o lib/socks.o lib/tls.o \
	lib/servers.o lib/lookup.o
LIBOBJ = $(AGE_OBJ) $(ID_OBJ) $(LETTER_OBJ) $(NET_OBJ)
LIBS = lib/libxc-age.a lib/libxc-id.a lib/libxc-letter.a lib/libxc-net.a

AGE_LIBS = $(SODIUM_LIBS) -pthread
ID_LIBS = $(JSON_LIBS)
LETTER_LIBS = $(NETTLE_LIBS) -lz
NET_LIBS = $(SSL_LIBS)
LINK_AGE = lib/libxc-age.a $(AGE_LIBS)
LINK_ID = lib/libxc-id.a lib/libxc-age.a $(ID_LIBS) $(AGE_LIBS)
LINK_LETTER = lib/libxc-letter.a lib/libxc-id.a lib/libxc-age.a \
	$(LETTER_LIBS) $(ID_LIBS) $(AGE_LIBS)
LINK_NET = lib/libxc-net.a lib/libxc-id.a lib/libxc-age.a \
	$(NET_LIBS) $(ID_LIBS) $(AGE_LIBS)
LINK_ALL = lib/libxc-net.a lib/libxc-letter.a lib/libxc-id.a \
	lib/libxc-age.a $(NET_LIBS) $(LETTER_LIBS) $(ID_LIBS) $(AGE_LIBS)

PROGS = bin/xc-keygen bin/xc-seal bin/xc-open bin/xc-verify bin/xc-send \
	bin/xc-fetch bin/xc-node
UNITOBJ = t/unit/main.o t/unit/test-codec.o t/unit/test-hkdf.o \
	t/unit/test-age.o t/unit/test-json.o t/unit/test-card.o \
	t/unit/test-letter.o t/unit/test-canon.o
FUZZ = t/fuzz/fuzz-header t/fuzz/fuzz-armor t/fuzz/fuzz-decrypt \
	t/fuzz/fuzz-json t/fuzz/fuzz-card t/fuzz/fuzz-minisign \
	t/fuzz/fuzz-letter-header t/fuzz/fuzz-letter-v2 t/fuzz/fuzz-nntp \
	t/fuzz/fuzz-spool t/fuzz/fuzz-socks t/fuzz/fuzz-config \
	t/fuzz/fuzz-lookup
MANS = man/xc.7 man/xc-keygen.1 man/xc-seal.1 man/xc-open.1 man/xc-verify.1 \
	man/xc-send.1 man/xc-fetch.1 man/xc-card.5 man/xc-envelope.5 \
	man/xc-letter.5 man/xc-spool.5 man/xc-nntp.5 man/xc-node.8

all: $(LIBS) $(PROGS)

lib/libxc-age.a: $(AGE_OBJ)
lib/libxc-id.a: $(ID_OBJ)
lib/libxc-letter.a: $(LETTER_OBJ)
lib/libxc-net.a: $(NET_OBJ)
# Made afresh each time: an object that left a layer must leave its
# archive too, or a program would link its stale copy.
$(LIBS):
	rm -f $@
	$(AR) rcs $@ $^

$(LIBOBJ) bin/cli.o bin/cli-net.o: lib/xc.h
$(LETTER_OBJ): lib/letter.h
bin/cli.o bin/cli-net.o: bin/cli.h

.c.o:
	$(CC) $(CPPFLAGS) $(XCFLAGS) $(CFLAGS) -c -o $@ $<
lib/tls.o: lib/tls.c lib/xc.h
	$(CC) $(CPPFLAGS) $(XCFLAGS) $(SSL_CFLAGS) $(CFLAGS) -c -o $@ lib/tls.c

# One link line per program; each links only the layers it uses.
bin/xc-keygen: bin/xc-keygen.o bin/cli.o bin/cli-net.o lib/libxc-net.a \
    lib/libxc-id.a lib/libxc-age.a
	$(LINK) bin/xc-keygen.o bin/cli.o bin/cli-net.o $(LINK_NET)
bin/xc-verify: bin/xc-verify.o bin/cli.o bin/cli-net.o lib/libxc-net.a \
    lib/libxc-id.a lib/libxc-age.a
	$(LINK) bin/xc-verify.o bin/cli.o bin/cli-net.o $(LINK_NET)
bin/xc-seal: bin/xc-seal.o bin/cli.o lib/libxc-letter.a lib/libxc-id.a \
    lib/libxc-age.a
	$(LINK) bin/xc-seal.o bin/cli.o $(LINK_LETTER)
bin/xc-open: bin/xc-open.o bin/cli.o lib/libxc-letter.a lib/libxc-id.a \
    lib/libxc-age.a
	$(LINK) bin/xc-open.o bin/cli.o $(LINK_LETTER)
bin/xc-send: bin/xc-send.o bin/cli.o bin/cli-net.o lib/libxc-net.a \
    lib/libxc-id.a lib/libxc-age.a
	$(LINK) bin/xc-send.o bin/cli.o bin/cli-net.o $(LINK_NET)
bin/xc-fetch: bin/xc-fetch.o bin/cli.o bin/cli-net.o lib/libxc-net.a \
    lib/libxc-id.a lib/libxc-age.a
	$(LINK) bin/xc-fetch.o bin/cli.o bin/cli-net.o $(LINK_NET)
bin/xc-keygen.o bin/xc-seal.o bin/xc-open.o bin/xc-verify.o bin/xc-send.o \
bin/xc-fetch.o: bin/cli.h lib/xc.h
# The operator kit: configures and runs INN2 nodes (xc-node(8)).
bin/xc-node: bin/xc-node.o bin/cli.o lib/libxc-net.a lib/libxc-id.a \
    lib/libxc-age.a
	$(LINK) bin/xc-node.o bin/cli.o $(LINK_NET)
bin/xc-node.o: bin/cli.h lib/xc.h bin/xc-node-filter.h
# The node filter (Python, run by innd) goes into xc-node as a C string.
bin/xc-node-filter.h: bin/xc-node-filter.py
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' \
		bin/xc-node-filter.py > $@

t/unit/unit: $(UNITOBJ) $(LIBS)
	$(LINK) $(UNITOBJ) $(LINK_ALL)
$(UNITOBJ): t/unit/unit.h lib/xc.h

# The letter-crafting tool of the letter tests (t/08*.t), with libarchive.
t/craft: t/craft.o $(LIBS)
	$(LINK) t/craft.o $(LINK_ALL) $(ARCHIVE_LIBS)
t/craft.o: t/craft.c lib/xc.h
	$(CC) $(XCFLAGS) $(ARCHIVE_CFLAGS) $(CFLAGS) -c -o $@ t/craft.c

# The timing harness of make bench (it links libcrypto: the ceilings).
t/bench: t/bench.c
	$(CC) $(XCFLAGS) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o $@ t/bench.c \
		$(SODIUM_LIBS) $(NETTLE_LIBS) $(CRYPTO_LIBS)

# The network test driver of t/10xx (post, list, fetch, proof-of-work).
t/nntp-tool: t/nntp-tool.o $(LIBS)
	$(LINK) t/nntp-tool.o $(LINK_ALL)
t/nntp-tool.o: lib/xc.h

# The co-recipient's re-MAC of t/0760-replay.t.
t/remac: t/remac.o $(LIBS)
	$(LINK) t/remac.o $(LINK_ALL)
t/remac.o: lib/xc.h

# The allocation-failure shim of t/0510-oom.t.
t/oom.so: t/oom.c
	$(CC) -shared -fPIC -O1 -o $@ t/oom.c -ldl

check: all t/unit/unit t/oom.so t/craft t/nntp-tool t/remac
	prove t/

# The whole suite again, built with ASan and UBSan in a separate tree.
SANDIR = .sanitize
check-sanitize:
	rm -rf $(SANDIR) && mkdir -p $(SANDIR)
	tar cf - Makefile lib bin t | (cd $(SANDIR) && tar xf -)
	cd $(SANDIR) && $(MAKE) clean >/dev/null && $(MAKE) all t/unit/unit t/craft t/nntp-tool t/remac \
		CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=address,undefined"
	XC_BIN=$(CURDIR)/$(SANDIR)/bin XC_UNIT=$(CURDIR)/$(SANDIR)/t/unit/unit \
		XC_CRAFT=$(CURDIR)/$(SANDIR)/t/craft \
		XC_NNTP_TOOL=$(CURDIR)/$(SANDIR)/t/nntp-tool \
		XC_REMAC=$(CURDIR)/$(SANDIR)/t/remac \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		XC_SANITIZE=1 prove t/

# libFuzzer targets, built with clang against a sanitizer build of the library.
FUZZCFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
	-fsanitize=fuzzer,address,undefined $(SODIUM_CFLAGS) $(JSON_CFLAGS) \
	$(NETTLE_CFLAGS) $(CRYPTO_CFLAGS) $(SSL_CFLAGS)
fuzz: $(FUZZ)
$(FUZZ): t/fuzz/options.c lib/xc.h lib/letter.h $(LIBOBJ:.o=.c)
t/fuzz/fuzz-header: t/fuzz/fuzz-header.c
t/fuzz/fuzz-armor: t/fuzz/fuzz-armor.c
t/fuzz/fuzz-decrypt: t/fuzz/fuzz-decrypt.c
t/fuzz/fuzz-json: t/fuzz/fuzz-json.c
t/fuzz/fuzz-card: t/fuzz/fuzz-card.c
t/fuzz/fuzz-minisign: t/fuzz/fuzz-minisign.c
t/fuzz/fuzz-letter-header: t/fuzz/fuzz-letter-header.c
t/fuzz/fuzz-letter-v2: t/fuzz/fuzz-letter-v2.c
t/fuzz/fuzz-spool: t/fuzz/fuzz-spool.c
t/fuzz/fuzz-nntp: t/fuzz/fuzz-nntp.c t/fuzz/memconn.h
t/fuzz/fuzz-socks: t/fuzz/fuzz-socks.c t/fuzz/memconn.h
t/fuzz/fuzz-config: t/fuzz/fuzz-config.c
t/fuzz/fuzz-lookup: t/fuzz/fuzz-lookup.c t/fuzz/memconn.h
$(FUZZ):
	clang $(FUZZCFLAGS) -o $@ $@.c t/fuzz/options.c $(LIBOBJ:.o=.c) $(SSL_LIBS) $(SODIUM_LIBS) $(JSON_LIBS) $(NETTLE_LIBS) -lz -pthread
# Seeds: the CCTV vectors' age files (inflated where compressed), a few
# JSON documents written by the script, and letters made by the programs.
fuzz-seeds: all
	sh t/fuzz/seeds.sh

# The xc-card(5) test vectors (t/vectors/card/README), written by a signer
# independent of lib/card.c.  They are committed: rerun only when the format
# changes, and review the diff.
vectors: $(LIBS)
	$(CC) $(XCFLAGS) $(CFLAGS) $(XLDFLAGS) $(LDFLAGS) -o t/vectors/card/generate \
		t/vectors/card/generate.c $(LINK_ID)
	rm -f t/vectors/card/*.card t/vectors/card/MANIFEST
	./t/vectors/card/generate t/vectors/card
	rm -f t/vectors/card/generate

bench: all t/craft t/bench t/nntp-tool
	sh t/bench-startup.sh
	sh t/bench.sh
	sh t/bench-letters.sh
	sh t/bench-delivery.sh
	sh t/bench-net.sh
	sh t/bench-nntp.sh

demo: all
	sh t/demo.sh

# The exchange across three xc nodes on loopback (needs root and inn2).
demo-network: all
	sh t/demo-network.sh

lint:
	mandoc -Tlint -W warning $(MANS)
	bash -n completions/xc.bash

# install(1) with explicit modes; DESTDIR for staging.  The directories
# that install had to create are recorded (without DESTDIR) in
# $(XCDATADIR)/installed-dirs, so that uninstall removes them again once
# empty, and never a directory that was there before.
INSTALL ?= install
XCDATADIR ?= $(PREFIX)/share/xc
INSTDIRS = $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man5 $(MANDIR)/man7 $(MANDIR)/man8 \
	$(BASHCOMPDIR) $(ZSHCOMPDIR) $(FISHCOMPDIR) $(XCDATADIR)
PROGNAMES = $(PROGS:bin/%=%)

install: all
	@[ -z "$(DESTDIR)" ] || mkdir -p "$(DESTDIR)"; made=; \
	for d in $(INSTDIRS); do \
		p=$$d new=; \
		while [ -n "$$p" ] && [ ! -d "$(DESTDIR)$$p" ]; do \
			new="$$p $$new"; p=$${p%/*}; \
		done; \
		for n in $$new; do \
			mkdir -m 755 "$(DESTDIR)$$n" || exit 1; made="$$made $$n"; \
		done; \
	done; \
	for n in $$made; do echo "$$n"; done \
	    >>"$(DESTDIR)$(XCDATADIR)/installed-dirs"
	$(INSTALL) -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 man/xc.7 $(DESTDIR)$(MANDIR)/man7/
	$(INSTALL) -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 644 completions/xc.bash $(DESTDIR)$(BASHCOMPDIR)/xc-keygen
	for p in $(PROGNAMES); do [ $$p = xc-keygen ] || \
		ln -sf xc-keygen $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	$(INSTALL) -m 644 completions/_xc $(DESTDIR)$(ZSHCOMPDIR)/_xc
	$(INSTALL) -m 644 completions/xc.fish $(DESTDIR)$(FISHCOMPDIR)/xc-keygen.fish
	for p in $(PROGNAMES); do [ $$p = xc-keygen ] || \
		ln -sf xc-keygen.fish $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; done

uninstall:
	for p in $(PROGNAMES); do \
		rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(BASHCOMPDIR)/$$p \
		    $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; \
	done
	for m in man/*.1; do rm -f $(DESTDIR)$(MANDIR)/man1/$${m#man/}; done
	for m in man/*.5; do rm -f $(DESTDIR)$(MANDIR)/man5/$${m#man/}; done
	for m in man/*.8; do rm -f $(DESTDIR)$(MANDIR)/man8/$${m#man/}; done
	rm -f $(DESTDIR)$(MANDIR)/man7/xc.7 $(DESTDIR)$(ZSHCOMPDIR)/_xc
	@if [ -f "$(DESTDIR)$(XCDATADIR)/installed-dirs" ]; then \
		dirs=$$(sort -r -u "$(DESTDIR)$(XCDATADIR)/installed-dirs"); \
		rm -f "$(DESTDIR)$(XCDATADIR)/installed-dirs"; \
		for d in $$dirs; do rmdir "$(DESTDIR)$$d" 2>/dev/null || :; done; \
	fi

clean:
	rm -f lib/*.o lib/*.a bin/*.o $(PROGS) t/unit/*.o t/unit/unit $(FUZZ) t/oom.so \
		t/craft.o t/craft t/bench t/nntp-tool.o t/nntp-tool \
		bin/xc-node-filter.h t/remac.o t/remac \
		t/vectors/card/generate
	rm -rf $(SANDIR)

.PHONY: all check check-sanitize fuzz fuzz-seeds vectors bench demo demo-network lint install uninstall clean
