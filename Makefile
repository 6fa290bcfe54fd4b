# kevy-electd: GNU make build.
#   make              build the library, the daemon and kevy-electctl
#   make check        build and run every test (installs missing packages)
#   make check-asan   the same under AddressSanitizer + UBSan
#   make check-valgrind  the same under valgrind memcheck
#   make demo         three daemons on loopback: election, failover, rejoin;
#                     DEMO=redis: beside three redis-servers, no glue;
#                     KEEP=1: leave the three running (make cluster-stop)
#   make soak         long randomized property run (SOAK_SECONDS, default 600),
#                     then the namespace partition soak and the jitter soak
#                     for as long again each
#   make soak-netns   only the partition soak (root; docs/reports/partition-tests.md)
#   make soak-jitter  a settled cluster under heartbeat jitter, SOAK_SECONDS:
#                     fences and elections per hour (root; same report)
#   make fuzz         libFuzzer targets of fuzz/ (clang), FUZZ_SECONDS each
#                     (default 60); make fuzz-long: 600 s each (docs/reports/fuzzing.md)
#   make bench        failover, idle cost, control socket vs Redis, WATCH
#                     fan-out, connection churn, time to writable vs Redis
#                     Sentinel, SIGTERM hand-off and SWITCHOVER, writes
#                     lost in a partition vs Sentinel, the jitter soak
#                     (fences per hour); rewrites the tables
#                     of docs/reports/benchmarks.md and
#                     docs/reports/img/*.png (BENCH_* counts below; about
#                     27 min). BENCH_ONLY="handoff partition" (any
#                     space-separated list of bench/run.sh's sections):
#                     only those, only the tables of their own
#   make bench-partition  BENCH_ONLY=partition (root: network namespaces)
#   make install      kevy-electd and kevy-electctl (stripped unless DEBUG=1),
#                     example config (never overwritten), systemd units,
#                     sysusers/tmpfiles snippets, man pages, bash
#                     completion; honours
#                     DESTDIR PREFIX BINDIR SYSCONFDIR UNITDIR SYSUSERSDIR
#                     TMPFILESDIR MANDIR BASHCOMPDIR (defaults below)
#   make uninstall    remove all of that except the config file
#   make config-docs  regenerate the key reference of
#                     docs/reference/configuration.md
#                     and man/kevy-electd.conf.5 from the schema table
#   make clean
# Build output goes to build/ (build-asan/ for the sanitizer variant).

CC       ?= cc
BUILD    ?= build
PKGS      = libevent libconfig check
# groff-base: tests/install.sh lints the man pages with groff; libssl-dev:
# tests/check_sha256 holds lib/sha256 to libcrypto's HMAC (the daemon itself
# links no crypto library); redis-server:
# tests/check_server drives real servers through the server adapter;
# socat: every control-socket example of the docs, and the README recipe
# test (tests/readme_recipe.sh) runs them; strace: tests/check_syscalls and
# bench/idle count the daemon's system calls.
DEB_PKGS  = build-essential pkg-config libevent-dev libconfig-dev check \
            groff-base libssl-dev redis-server socat strace
# tests/check_netns (partition tests across network namespaces) needs these;
# installed only when root, otherwise that test says SKIP.
NETNS_DEB_PKGS = iproute2 nftables

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
# kevy-electctl (cli/): lib/ and the config loader, no event loop.
CLI_SRC    = $(wildcard cli/*.c)
CLI_OBJ    = $(CLI_SRC:%.c=$(BUILD)/%.o)
CLI_DMN    = $(addprefix $(BUILD)/daemon/,config.o config_schema.o log.o)
CLI        = $(if $(CLI_SRC),$(BUILD)/kevy-electctl)
TEST_SRC   = $(wildcard tests/check_*.c)
TEST_BIN   = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# Helpers: the simulator (tests/sim.c) and the multi-process harness
# (tests/harness/), shared with bench/ and tools/demo.
TEST_HELP  = $(filter-out $(TEST_SRC) tests/fuzz_replay.c,\
             $(wildcard tests/*.c tests/harness/*.c))
TEST_HOBJ  = $(TEST_HELP:%.c=$(BUILD)/%.o)
TEST_A     = $(BUILD)/libtesthelp.a
# Shell tests (POSIX sh), run by make check after the test programs.
TEST_SH    = $(wildcard tests/*.sh)
# Fuzz targets (fuzz/fuzz_T.c, seeds in fuzz/corpus/T/): the test command
# replays each seed corpus through the target built with $(CC) and
# tests/fuzz_replay.c; make fuzz runs them under libFuzzer.
FUZZ_TARGETS ?= $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
REPLAY_BIN = $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz_replay_%)
# $(call replay_cmds,builddir,prefix): one run-tests.sh command per target.
replay_cmds = $(foreach t,$(FUZZ_TARGETS),\
              "$(2)$(1)/tests/fuzz_replay_$(t) fuzz/corpus/$(t)")

.PHONY: all deps check check-asan check-valgrind soak demo clean \
        install uninstall
# Objects reached only through pattern rules (check_T.o, bench and tool
# objects, fuzz objects) are intermediate: make would delete them after a
# build and remake them, with every link above them, on the next one. Keep
# every target: a make with nothing changed runs no command.
.SECONDARY:
all: deps
	@$(MAKE) --no-print-directory build-all

.PHONY: build-all
build-all: $(LIB_A) $(DAEMON) $(CLI) $(TEST_BIN) $(REPLAY_BIN)

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
	$(CC) $(ALL_CFLAGS) -Itests -Itests/harness $(call pc_cflags,check) \
	    -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(DMN_A): $(DMN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/kevy-electd: $(BUILD)/daemon/main.o $(DMN_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(call pc_libs,libevent libconfig)

$(BUILD)/cli/%.o: cli/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Icli $(call pc_cflags,libconfig) -c $< -o $@

$(BUILD)/kevy-electctl: $(CLI_OBJ) $(CLI_DMN) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(call pc_libs,libconfig)

$(TEST_A): $(TEST_HOBJ)
	@rm -f $@
	ar rcs $@ $^

# Archives: a test links only the helpers and daemon modules it uses.
$(BUILD)/tests/check_%: $(BUILD)/tests/check_%.o $(TEST_A) $(DMN_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(call pc_libs,check libevent libconfig libcrypto)

$(BUILD)/replay/%.o: fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,libevent libconfig) -c $< -o $@

$(BUILD)/tests/fuzz_replay_%: $(BUILD)/replay/fuzz_%.o \
    $(BUILD)/tests/fuzz_replay.o $(DMN_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,libevent libconfig)

$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/harness -c $< -o $@

$(BUILD)/tools/demo: $(BUILD)/tools/demo.o $(TEST_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^

$(BUILD)/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/harness -c $< -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(TEST_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^

# The one bench tool that calls daemon code (metafile_save).
$(BUILD)/bench/savecost: $(BUILD)/bench/savecost.o $(DMN_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(call pc_libs,libevent libconfig)

# Redis Sentinel against the server adapter: the harness's redis-servers
# and lib/resp, lib/info to read what servers and sentinels answer; the
# partition bench also runs a client thread.
$(BUILD)/bench/sentinel: $(BUILD)/bench/sentinel.o $(TEST_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^
$(BUILD)/bench/partition: $(BUILD)/bench/partition.o $(TEST_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -pthread -o $@ $^
$(BUILD)/bench/jitter: $(BUILD)/bench/jitter.o $(TEST_A) $(LIB_A)
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^

# Benchmarks (bench/, docs/reports/benchmarks.md). Packages used only here.
BENCH_DEB_PKGS = redis-server redis-sentinel gnuplot-nox
BENCH_BIN      = $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
BENCH_KILLS         ?= 20
BENCH_DEFAULT_KILLS ?= 20
BENCH_IDLE_NODES    ?= 3 16 64
BENCH_IDLE_SECONDS  ?= 10
BENCH_CTL_SECONDS   ?= 2
BENCH_CTL_ROUNDS    ?= 3
BENCH_FANOUT_SUBS   ?= 1000
BENCH_FANOUT_REPS   ?= 10
BENCH_CHURN_SECONDS ?= 5
BENCH_CHURN_THREADS ?= 1 2 4
BENCH_SENTINEL_KILLS ?= 10
BENCH_SENTINEL_DEFAULT_KILLS ?= 5
BENCH_PARTITION_ROUNDS ?= 5
BENCH_HANDOFF_ROUNDS ?= 10
BENCH_JITTER_SECONDS ?= 120
# Sections to run alone, a space-separated list (bench/sections.sh has
# them); empty: all of them.
BENCH_ONLY ?=
.PHONY: bench bench-partition
bench: deps
	@sh mk/deps.sh $(BENCH_DEB_PKGS)
	@$(netns_deps)
	@$(jitter_deps)
	@$(MAKE) --no-print-directory $(DAEMON) $(BENCH_BIN)
	@BENCH_KILLS=$(BENCH_KILLS) BENCH_DEFAULT_KILLS=$(BENCH_DEFAULT_KILLS) \
	 BENCH_IDLE_NODES="$(BENCH_IDLE_NODES)" \
	 BENCH_IDLE_SECONDS=$(BENCH_IDLE_SECONDS) \
	 BENCH_CTL_SECONDS=$(BENCH_CTL_SECONDS) \
	 BENCH_CTL_ROUNDS=$(BENCH_CTL_ROUNDS) \
	 BENCH_FANOUT_SUBS=$(BENCH_FANOUT_SUBS) \
	 BENCH_FANOUT_REPS=$(BENCH_FANOUT_REPS) \
	 BENCH_CHURN_SECONDS=$(BENCH_CHURN_SECONDS) \
	 BENCH_CHURN_THREADS="$(BENCH_CHURN_THREADS)" \
	 BENCH_SENTINEL_KILLS=$(BENCH_SENTINEL_KILLS) \
	 BENCH_SENTINEL_DEFAULT_KILLS=$(BENCH_SENTINEL_DEFAULT_KILLS) \
	 BENCH_PARTITION_ROUNDS=$(BENCH_PARTITION_ROUNDS) \
	 BENCH_HANDOFF_ROUNDS=$(BENCH_HANDOFF_ROUNDS) \
	 BENCH_JITTER_SECONDS=$(BENCH_JITTER_SECONDS) BENCH_ONLY="$(BENCH_ONLY)" \
	 sh bench/run.sh $(BUILD) $(BUILD)/bench/results
	@BENCH_ONLY="$(BENCH_ONLY)" sh bench/report.sh $(BUILD)/bench/results \
	 docs/reports/benchmarks.md docs/reports/img

# Only the partition bench (about 1 min per round of the three stacks; as
# root, in network namespaces): rewrites its table alone.
bench-partition:
	@$(MAKE) --no-print-directory bench BENCH_ONLY=partition

# DEMO=redis: the same beside three redis-servers driven by the adapter.
# Only the daemon and the demo (with the harness it runs on) are built,
# quietly: compiler errors still show. KEEP=1 leaves the nodes running
# and DEMO_KEEP_FILE says where they are, for make cluster-stop.
DEMO ?=
KEEP ?=
DEMO_KEEP_FILE = $(BUILD)/demo-cluster
.PHONY: cluster-stop
demo: deps
	@echo "demo: building the daemon and the demo in $(BUILD)/"
	@$(MAKE) --no-print-directory -s $(DAEMON) $(CLI) $(BUILD)/tools/demo
	@if [ -n "$(KEEP)" ] && [ -e $(DEMO_KEEP_FILE) ]; then \
	    echo "demo: a kept cluster is still running: make cluster-stop" \
	        "first ($(DEMO_KEEP_FILE))" >&2; exit 1; fi
	@KEVY_DEMO_KEEP=$(if $(KEEP),$(abspath $(DEMO_KEEP_FILE))) \
	    KEVY_DEMO_CTL=$(CLI) \
	    $(BUILD)/tools/demo $(DEMO)

# Stop what make demo KEEP=1 left running and remove its directory.
cluster-stop:
	@if [ ! -e $(DEMO_KEEP_FILE) ]; then \
	    echo "cluster-stop: no kept cluster ($(DEMO_KEEP_FILE))"; exit 0; fi; \
	. ./$(DEMO_KEEP_FILE); \
	for p in $$PIDS; do kill $$p 2>/dev/null; done; \
	case "$$DIR" in /tmp/kevy-cluster.?*) rm -rf "$$DIR" ;; esac; \
	rm -f $(DEMO_KEEP_FILE); \
	echo "cluster-stop: stopped pids $$PIDS, removed $$DIR"

# The key reference of docs/reference/configuration.md and of
# kevy-electd.conf(5), from
# the schema (kevy-electd --dump-config); tests/check_config.c checks it.
# Every log call in daemon/ and cli/ against the log format and its event
# table (docs/reference/monitoring.md, "The log"): file:line of each that
# breaks it. tests/check_logfmt.c, also part of make check.
.PHONY: logfmt-check
logfmt-check: $(BUILD)/tests/check_logfmt
	@CK_RUN_CASE=source CK_VERBOSITY=normal $(BUILD)/tests/check_logfmt

.PHONY: config-docs
config-docs: deps
	@$(MAKE) --no-print-directory $(BUILD)/kevy-electd
	@sh mk/gen-config-docs.sh $(BUILD)/kevy-electd

# A failing partition test keeps its raw history here, never in the tree
# (docs/reports/findings.md holds what the past ones taught).
netns_keep = KEVY_NETNS_FAILURES=$(abspath $(1))/netns-failures

# Every test binary runs; the first failure fails the target, after all ran.
check: all
	@$(netns_deps)
	@$(call netns_keep,$(BUILD)) sh mk/run-tests.sh $(TEST_BIN) \
	    $(call replay_cmds,$(BUILD)) $(foreach t,$(TEST_SH),"sh $(t)")

ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
	    SAN="$(ASAN_FLAGS)" build-all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 $(call netns_keep,build-asan) sh mk/run-tests.sh \
	    $(TEST_BIN:$(BUILD)/%=build-asan/%) $(call replay_cmds,build-asan)

# valgrind memcheck over every test program, in one process per program so
# leaks at exit are seen; the property test runs fewer seeds (it is slow).
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
           --errors-for-leak-kinds=definite,indirect --track-fds=no
check-valgrind: all
	@sh mk/deps.sh valgrind
	@CK_FORK=no KEVY_PROP_SEEDS=50 $(call netns_keep,$(BUILD)) \
	 sh mk/run-tests.sh \
	    $(foreach t,$(TEST_BIN),"$(VALGRIND) $(t)") \
	    $(call replay_cmds,$(BUILD),$(VALGRIND) )

SOAK_SECONDS ?= 600
soak: all
	KEVY_PROP_SECONDS=$(SOAK_SECONDS) KEVY_PROP_SEEDS=100000000 \
	    CK_RUN_CASE=property $(BUILD)/tests/check_property
	@$(MAKE) --no-print-directory soak-netns
	@$(MAKE) --no-print-directory soak-jitter

# Partition soak: seeds of 30 s of faults each, SOAK_SECONDS in all.
netns_deps = if [ "$$(id -u)" -eq 0 ]; then sh mk/deps.sh $(NETNS_DEB_PKGS) \
    || echo "deps: no $(NETNS_DEB_PKGS): check_netns will skip"; fi
.PHONY: soak-netns
soak-netns: all
	@$(netns_deps)
	KEVY_NETNS_SECONDS=$(SOAK_SECONDS) KEVY_NETNS_SEED_MS=30000 \
	    KEVY_NETNS_NET_MAX_MS=0 KEVY_NETNS_STRICT=1 \
	    $(call netns_keep,$(BUILD)) $(BUILD)/tests/check_netns

# Jitter soak: a settled cluster whose every packet leaves its node 0 to
# JITTER_MS late (default: one interval, so heartbeats arrive up to two
# intervals apart), SOAK_SECONDS long, at JITTER_HB_MS / JITTER_DOWN_MS;
# fails on any election or primary change, and on fences past
# bench/jitter.c's JITTER_FENCES_PER_HOUR_MAX. Root (network namespaces,
# iptables' NFQUEUE target), else SKIP. KEVY_ELECTD_BIN=... measures
# another daemon binary. docs/reports/partition-tests.md, "Heartbeat jitter".
JITTER_DEB_PKGS = iptables
JITTER_HB_MS   ?= 50
JITTER_DOWN_MS ?= 500
JITTER_MS      ?= $(JITTER_HB_MS)
.PHONY: soak-jitter
jitter_deps = if [ "$$(id -u)" -eq 0 ]; then sh mk/deps.sh $(JITTER_DEB_PKGS) \
    || echo "deps: no $(JITTER_DEB_PKGS): bench/jitter will skip"; fi
soak-jitter: deps
	@$(netns_deps)
	@$(jitter_deps)
	@$(MAKE) --no-print-directory $(DAEMON) $(BUILD)/bench/jitter
	KEVY_JITTER_FAILURES=$(abspath $(BUILD))/jitter-failures \
	    $(BUILD)/bench/jitter -j $(JITTER_MS) $(SOAK_SECONDS) \
	    $(JITTER_HB_MS) $(JITTER_DOWN_MS)

# libFuzzer (clang only; make check never needs it). Everything goes under
# $(FUZZ_DIR): objects, fuzz_T binaries, the working corpus copied from
# fuzz/corpus/T (the repo is never written), findings and logs. Each
# target links only the modules it tests (FUZZ_SRC_T), instrumented.
FUZZ_DEB_PKGS = clang libclang-rt-14-dev
FUZZ_CC      ?= clang
FUZZ_DIR     ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN      = address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
# clang-only noise in code gcc checks strictly: log.c's vsnprintf wrapper.
FUZZ_CFLAGS   = $(CSTD) $(WARN) -Wno-unknown-warning-option \
                -Wno-format-nonliteral -O1 -g -Ilib -Idaemon -MMD -MP \
                $(call pc_cflags,libconfig)
FUZZ_SRC_wire     = lib/wire.c lib/resp.c lib/num.c
FUZZ_SRC_ctl_line = lib/ctl_parse.c
FUZZ_SRC_config   = daemon/config.c daemon/config_schema.c daemon/log.c \
                    lib/elector_timing.c lib/errbuf.c lib/num.c lib/resp.c \
                    lib/wire.c
FUZZ_SRC_resp     = lib/resp.c lib/num.c
FUZZ_SRC_info     = lib/info.c lib/resp.c lib/num.c lib/errbuf.c
FUZZ_SRC_jsonflat = lib/jsonflat.c
FUZZ_BIN      = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
fuzz_objs     = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SRC_$(1)))

.PHONY: fuzz fuzz-long fuzz-build
fuzz: deps
	@sh mk/deps.sh $(FUZZ_DEB_PKGS)
	@$(MAKE) --no-print-directory fuzz-build
	@sh mk/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
fuzz-long:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=600
fuzz-build: $(FUZZ_BIN)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) \
	    -c $< -o $@

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz/fuzz_%.o $$(call fuzz_objs,$$*)
	$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SAN) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,libconfig)

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
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITS       = kevy-electd.service kevy-electd@.service
MAN_PAGES   = $(wildcard man/*.[1-8])
CONF_DEST   = $(DESTDIR)$(SYSCONFDIR)/kevy-elect/kevy-electd.conf
# The installed binary is stripped (about a third of the size) unless
# DEBUG=1 asks to keep its symbols.
DEBUG      ?=
INSTALL_STRIP = $(if $(filter 1,$(DEBUG)),,-s)

# Only the daemon and kevy-electctl are built for install: not the tests.
install: deps
	@$(MAKE) --no-print-directory $(BUILD)/kevy-electd $(BUILD)/kevy-electctl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/kevy-elect \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(BASHCOMPDIR) $(BUILD)/systemd
	install -m 0755 $(INSTALL_STRIP) $(BUILD)/kevy-electd \
	    $(DESTDIR)$(BINDIR)/kevy-electd
	install -m 0755 $(INSTALL_STRIP) $(BUILD)/kevy-electctl \
	    $(DESTDIR)$(BINDIR)/kevy-electctl
	install -m 0644 completion/kevy-electctl \
	    $(DESTDIR)$(BASHCOMPDIR)/kevy-electctl
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
	rm -f $(DESTDIR)$(BINDIR)/kevy-electd $(DESTDIR)$(BINDIR)/kevy-electctl \
	    $(DESTDIR)$(BASHCOMPDIR)/kevy-electctl \
	    $(UNITS:%=$(DESTDIR)$(UNITDIR)/%) \
	    $(DESTDIR)$(SYSUSERSDIR)/kevy-electd.conf \
	    $(DESTDIR)$(TMPFILESDIR)/kevy-electd.conf
	for m in $(MAN_PAGES); do \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/} || exit 1; \
	done
	@echo "uninstall: kept $(CONF_DEST) (remove it yourself)"

-include $(shell find $(sort $(BUILD) build-asan $(FUZZ_DIR)) -name '*.d' 2>/dev/null)
