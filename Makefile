# kevy-electd: GNU make build.
#   make              build the library and the daemon
#   make check        build and run every test (installs missing packages)
#   make check-asan   the same under AddressSanitizer + UBSan
#   make check-valgrind  the same under valgrind memcheck
#   make demo         three daemons on loopback: election, failover, rejoin
#   make soak         long randomized property run (SOAK_SECONDS, default 600)
#   make install      binary, example config (never overwritten), systemd
#                     units, sysusers/tmpfiles snippets, man pages; honours
#                     DESTDIR PREFIX BINDIR SYSCONFDIR UNITDIR SYSUSERSDIR
#                     TMPFILESDIR MANDIR (defaults below)
#   make uninstall    remove all of that except the config file
#   make clean
# Build output goes to build/ (build-asan/ for the sanitizer variant).

CC       ?= cc
BUILD    ?= build
PKGS      = libevent libconfig check
# groff-base: tests/install.sh lints the man pages with groff.
DEB_PKGS  = build-essential pkg-config libevent-dev libconfig-dev check \
            groff-base

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla -Wundef -Wpointer-arith \
           -Wimplicit-fallthrough -Wcast-align -Wno-format-truncation
# (snprintf truncation is bounded by design; where it matters, the length
#  is checked explicitly: gcc's guess at sizes only adds noise.)
CSTD     = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  ?=
ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) $(SAN) $(CFLAGS) -Ilib -Idaemon -MMD -MP
LDFLAGS ?=

# pkg-config answers only once the packages are there: deps runs first.
pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)

LIB_SRC    = $(wildcard lib/*.c)
LIB_OBJ    = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A      = $(BUILD)/libkevyelect.a
# daemon/*.c except main.c are linkable into tests too.
DMN_SRC    = $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DMN_OBJ    = $(DMN_SRC:%.c=$(BUILD)/%.o)
DMN_A      = $(BUILD)/libkevyelectd.a
DMN_MAIN   = $(wildcard daemon/main.c)
DAEMON     = $(if $(DMN_MAIN),$(BUILD)/kevy-electd)
TEST_SRC   = $(wildcard tests/check_*.c)
TEST_BIN   = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_HELP  = $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
TEST_HOBJ  = $(TEST_HELP:%.c=$(BUILD)/%.o)
TEST_A     = $(BUILD)/libtesthelp.a
# Shell tests (POSIX sh), run by make check after the test programs.
TEST_SH    = $(wildcard tests/*.sh)

.PHONY: all deps check check-asan check-valgrind soak demo clean \
        install uninstall
all: deps
	@$(MAKE) --no-print-directory build-all

.PHONY: build-all
build-all: $(LIB_A) $(DAEMON) $(TEST_BIN)

deps:
	@sh mk/deps.sh $(DEB_PKGS)

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,libevent libconfig) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests $(call pc_cflags,check) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(DMN_A): $(DMN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/kevy-electd: $(BUILD)/daemon/main.o $(DMN_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(call pc_libs,libevent libconfig)

$(TEST_A): $(TEST_HOBJ)
	@rm -f $@
	ar rcs $@ $^

# Archives: a test links only the helpers and daemon modules it uses.
$(BUILD)/tests/check_%: $(BUILD)/tests/check_%.o $(TEST_A) $(DMN_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(call pc_libs,check libevent libconfig)

$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -c $< -o $@

$(BUILD)/tools/demo: $(BUILD)/tools/demo.o $(TEST_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^

$(BUILD)/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -c $< -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(TEST_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^

demo: all
	@$(MAKE) --no-print-directory $(BUILD)/tools/demo
	@$(BUILD)/tools/demo

# Every test binary runs; the first failure fails the target, after all ran.
check: all
	@sh mk/run-tests.sh $(TEST_BIN) $(foreach t,$(TEST_SH),"sh $(t)")

ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
	    SAN="$(ASAN_FLAGS)" build-all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 sh mk/run-tests.sh $(TEST_BIN:$(BUILD)/%=build-asan/%)

# valgrind memcheck over every test program, in one process per program so
# leaks at exit are seen; the property test runs fewer seeds (it is slow).
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
           --errors-for-leak-kinds=definite,indirect --track-fds=no
check-valgrind: all
	@sh mk/deps.sh valgrind
	@CK_FORK=no KEVY_PROP_SEEDS=50 sh mk/run-tests.sh \
	    $(foreach t,$(TEST_BIN),"$(VALGRIND) $(t)")

SOAK_SECONDS ?= 600
soak: all
	KEVY_PROP_SECONDS=$(SOAK_SECONDS) KEVY_PROP_SEEDS=100000000 \
	    CK_RUN_CASE=property $(BUILD)/tests/check_property

clean:
	rm -rf build build-asan

# Install. Units, sysusers.d and tmpfiles.d go under $(PREFIX)/lib, which
# systemd searches too (/usr/local/lib/systemd/system, ...); PREFIX=/usr
# gives a distribution layout. The units are installed with BINDIR and
# SYSCONFDIR substituted for their default paths. An existing config file
# is never overwritten, and uninstall never removes it.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
MANDIR      ?= $(PREFIX)/share/man
UNITS       = kevy-electd.service kevy-electd@.service
MAN_PAGES   = $(wildcard man/*.[1-8])
CONF_DEST   = $(DESTDIR)$(SYSCONFDIR)/kevy-elect/kevy-electd.conf

# Only the daemon is built for install: not the test programs.
install: deps
	@$(MAKE) --no-print-directory $(BUILD)/kevy-electd
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/kevy-elect \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR) $(BUILD)/systemd
	install -m 0755 $(BUILD)/kevy-electd $(DESTDIR)$(BINDIR)/kevy-electd
	@if [ -e $(CONF_DEST) ]; then \
	    echo "install: keeping existing $(CONF_DEST)"; \
	else \
	    echo "install -m 0644 conf/kevy-electd.conf $(CONF_DEST)"; \
	    install -m 0644 conf/kevy-electd.conf $(CONF_DEST); \
	fi
	for u in $(UNITS); do \
	    sed -e 's|/usr/local/bin/|$(BINDIR)/|g' \
	        -e 's|/etc/kevy-elect/|$(SYSCONFDIR)/kevy-elect/|g' \
	        systemd/$$u > $(BUILD)/systemd/$$u && \
	    install -m 0644 $(BUILD)/systemd/$$u $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 systemd/kevy-electd.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/kevy-electd.conf
	install -m 0644 systemd/kevy-electd.tmpfiles \
	    $(DESTDIR)$(TMPFILESDIR)/kevy-electd.conf
	for m in $(MAN_PAGES); do \
	    d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
	    install -d $$d && install -m 0644 $$m $$d/ || exit 1; \
	done
	@echo "install: done; on the target run: systemd-sysusers;" \
	    "systemd-tmpfiles --create; systemctl daemon-reload"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kevy-electd \
	    $(UNITS:%=$(DESTDIR)$(UNITDIR)/%) \
	    $(DESTDIR)$(SYSUSERSDIR)/kevy-electd.conf \
	    $(DESTDIR)$(TMPFILESDIR)/kevy-electd.conf
	for m in $(MAN_PAGES); do \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/} || exit 1; \
	done
	@echo "uninstall: kept $(CONF_DEST) (remove it yourself)"

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
