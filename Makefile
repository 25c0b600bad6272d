# TaskWeaver: a plain GNU Makefile. `make check` and `make run` install what
# is missing first (see `deps`), so a fresh Debian or Ubuntu machine needs
# nothing but this file's repository.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share
# zsh looks in vendor-completions for the distribution's packages (Debian,
# Ubuntu) and in site-functions under /usr/local; under another prefix
# (~/.local) add that directory to fpath (see README.md).
ZSH_COMPDIR ?= $(if $(filter /usr,$(PREFIX)),$(DATADIR)/zsh/vendor-completions,$(DATADIR)/zsh/site-functions)
DESTDIR	?=

BUILD	?= build
CC	?= cc
PKG_CONFIG ?= pkg-config
CFLAGS	?= -O2 -g
# SAN is set for the sanitizer pass of `make check`.
SAN	?=

PKGS	 = yaml-0.1 sqlite3 libevent_core jansson
# Only twd-deliver, the notifications' sender, needs these; twd and twctl
# stay small (and twd quick to fork).
DELIVER_PKGS = libnotify libcurl libcrypto
# Only twctl dash draws on a terminal.
TWCTL_PKGS = ncursesw
TEST_PKGS = cmocka

WARNINGS = -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
	   -Wvla -Wwrite-strings -Wshadow -fno-common
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
DELIVER_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DELIVER_PKGS) 2>/dev/null)
DELIVER_LIBS   := $(PKG_LIBS) \
    $(shell $(PKG_CONFIG) --libs $(DELIVER_PKGS) 2>/dev/null)
# The metrics' HTTP server (evhttp) is libevent's extra library: twd's alone.
TWD_LIBS   := $(PKG_LIBS) \
    $(shell $(PKG_CONFIG) --libs libevent_extra 2>/dev/null) -pthread
# Linked dynamically against the distribution's libraries, as a Debian
# package is: their pages are shared with every other process (an idle twd
# with 1,000 tasks: PSS 1.7 MiB dynamic, 3.4 MiB static; `make bench`,
# idle), and a glibc or NSS update (LDAP, sssd, systemd-userdb users)
# reaches twd without a rebuild. STATIC=1 links twd as a static PIE (glibc
# inside) and twctl's libraries in, when their archives are installed: a
# lower RSS and a quicker twctl start (the dynamic loader's 0.3 ms), for a
# frozen glibc whose NSS finds only /etc/passwd users.
STATIC	?=
# Whether the archives (lib*.a) of these libraries are all installed.
have_archives = $(shell for l in $(1); do \
    [ -f "$$($(CC) -print-file-name=lib$$l.a)" ] || exit 0; done; echo yes)
TWD_STATIC := $(if $(SAN),,$(if $(STATIC),$(call have_archives,c m sqlite3 event_core event_extra yaml jansson)))
ifeq ($(TWD_STATIC),yes)
TWD_BIN_LIBS := -static-pie -lsqlite3 -levent_extra -levent_core -lyaml -ljansson -lm
else
TWD_BIN_LIBS := $(TWD_LIBS)
endif
TWCTL_LIB_PKGS = yaml-0.1 jansson $(TWCTL_PKGS)
TWCTL_STATIC := $(if $(STATIC),$(call have_archives,yaml jansson ncursesw tinfo))
ifeq ($(TWCTL_STATIC),yes)
TWCTL_LIBS := -Wl,-Bstatic \
    $(shell $(PKG_CONFIG) --libs $(TWCTL_LIB_PKGS) 2>/dev/null) -Wl,-Bdynamic
else
TWCTL_LIBS := $(shell $(PKG_CONFIG) --libs $(TWCTL_LIB_PKGS) 2>/dev/null)
endif
TEST_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS  := $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) $(SAN) -MMD -MP \
	     -Isrc/common $(PKG_CFLAGS)
$(BUILD)/src/twd/plugin.o: ALL_CFLAGS += -DTW_PLUGIN_DIR='"$(PLUGINDIR)"'
# Built in: so twd is built again when it changes (make install PREFIX=).
$(BUILD)/src/twd/plugin.o: $(BUILD)/plugindir
$(BUILD)/plugindir: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PLUGINDIR)' | cmp -s - $@ || echo '$(PLUGINDIR)' >$@
FORCE:
ALL_LDFLAGS = $(LDFLAGS) $(SAN)

COMMON_SRCS = src/common/duration.c src/common/hash.c src/common/log.c \
	      src/common/logfmt.c \
	      src/common/paths.c \
	      src/common/proto.c src/common/schedule.c src/common/suggest.c \
	      src/common/timefmt.c src/common/tz.c src/common/xmalloc.c
# The daemon's modules, which tests link; kept apart are main and the two
# files that act for it with its context (twd.h): reloading and requests.
TWD_LIB_SRCS = src/twd/alarm.c src/twd/config.c src/twd/config-fields.c \
	       src/twd/config-load.c src/twd/config-sections.c src/twd/config-checks.c \
	       src/twd/config-view.c src/twd/config-file.c src/twd/config-maps.c \
	       src/twd/config-plugins.c src/twd/plugin.c \
	       src/twd/context.c src/twd/history.c src/twd/history-audit.c src/twd/history-prune.c src/twd/job.c src/twd/job-child.c src/twd/job-proc.c \
	       src/twd/catchup.c src/twd/notify.c src/twd/notifiers.c src/twd/runq.c \
	       src/twd/run.c src/twd/server.c \
	       src/twd/tasks.c src/twd/fire.c src/twd/dispatch.c src/twd/runs.c \
	       src/twd/submit.c src/twd/recover.c src/twd/retention.c src/twd/elsewhere.c src/twd/remote.c \
	       src/twd/explain.c src/twd/metrics.c src/twd/report.c src/twd/config-observe.c src/twd/ydoc.c \
	       src/twd/config-triggers.c src/twd/gitref.c src/twd/watch.c \
	       src/twd/watch-git.c \
	       src/twd/config-capacity.c src/twd/admit.c src/twd/psi.c src/twd/cgroup.c
TWD_SRCS    = src/twd/twd.c src/twd/reload.c src/twd/request.c src/twd/heap.c \
	      src/twd/observe.c src/twd/audit.c src/twd/request-observe.c \
	      src/twd/subscriptions.c
TWCTL_SRCS  = src/twctl/client.c src/twctl/logread.c src/twctl/cmd.c src/twctl/cmd-audit.c src/twctl/cmd-check.c src/twctl/cmd-clean.c src/twctl/cmd-cron.c src/twctl/cmd-dash.c src/twctl/dash-keys.c src/twctl/dash-log.c src/twctl/dash-view.c src/twctl/dash-model.c src/twctl/cmd-edit.c src/twctl/cmd-events.c src/twctl/cmd-executors.c src/twctl/cmd-import.c src/twctl/crontab.c \
	      src/twctl/cmd-help.c \
	      src/twctl/cmd-history.c src/twctl/cmd-kill.c src/twctl/cmd-list.c src/twctl/cmd-logs.c src/twctl/cmd-metrics.c \
	      src/twctl/cmd-next.c src/twctl/cmd-notify-test.c src/twctl/cmd-pause.c src/twctl/cmd-plugins.c src/twctl/cmd-queue.c src/twctl/cmd-reload.c src/twctl/cmd-report.c src/twctl/report-html.c src/twctl/cmd-restart.c src/twctl/cmd-run.c src/twctl/cmd-show.c src/twctl/cmd-shutdown.c src/twctl/cmd-submit.c src/twctl/cmd-wait.c src/twctl/cmd-web.c src/twctl/cmd-why.c \
	      src/twctl/cmd-status.c src/twctl/output.c src/twctl/pager.c src/twctl/twctl.c
UNIT_TESTS  = admit alarm catchup config cron dash duration gitref history job log logfmt notify proto remote report runq schedule suggest \
	      tasks timefmt tz ydoc

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

COMMON_LIB = $(BUILD)/libcommon.a
TWD_LIB    = $(BUILD)/libtwd.a
TWD	   = $(BUILD)/twd
DELIVER	   = $(BUILD)/twd-deliver
PLUGINS	   = $(BUILD)/plugins/http
# Where the installed plugins are, which twd and twctl look in last.
PLUGINDIR ?= $(PREFIX)/lib/taskweaver/plugins
TWCTL	   = $(BUILD)/twctl
# The web page and API: a client of the socket, a program of its own.
TWWEB	   = $(BUILD)/twweb
TWWEB_SRCS = src/twweb/twweb.c src/twweb/api.c src/twweb/calls.c \
	     src/twweb/streams.c src/twweb/tokens.c
WEB_SRC_FILES = share/web/index.html share/web/app.js share/web/style.css \
		share/web/openapi.yaml
# Beside the build's twweb, as they are beside an installed one.
WEB_FILES = $(patsubst share/web/%,$(BUILD)/share/taskweaver/web/%,$(WEB_SRC_FILES))
UNIT_BINS  = $(patsubst %,$(BUILD)/tests/test_%,$(UNIT_TESTS))
# A desktop notification service on a private bus, for the CLI tests.
FAKE_NOTIFYD = $(BUILD)/tests/fake-notifyd

MANPAGES = man/twd.1 man/twctl.1 man/twweb.1 man/taskweaver.5 \
	   man/taskweaver-ipc.7 man/taskweaver-plugins.7

# Debian packages: build, test and demo. `make deps` installs the missing.
DEB_PACKAGES = build-essential pkg-config libyaml-dev libsqlite3-dev \
	       libevent-dev libjansson-dev libcmocka-dev sqlite3 tmux socat \
	       mandoc python3 python3-croniter clang-format tzdata \
	       libnotify-dev libcurl4-openssl-dev dbus-daemon libncurses-dev git \
	       task-spooler clang libclang-rt-dev openssh-client openssh-server \
	       slurm-wlm munge curl openssl prometheus chromium python3-yaml

.SECONDARY:

.PHONY: FORCE all deps check check-unit check-cli check-lint check-san check-bench \
	check-install check-fuzz fuzz fuzz-bins \
	bench run \
	install uninstall clean format

all: $(TWD) $(TWCTL) $(DELIVER) $(PLUGINS) $(TWWEB) $(WEB_FILES)

# The plugins twd ships (taskweaver-plugins(7)): programs of their own.
$(BUILD)/src/plugins/http.o: ALL_CFLAGS += $(shell $(PKG_CONFIG) --cflags libcurl)
$(BUILD)/plugins/http: $(call obj,src/plugins/http.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ \
	    $(shell $(PKG_CONFIG) --libs jansson libcurl)

$(FAKE_NOTIFYD): tests/helpers/fake-notifyd.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) -std=c11 $(CFLAGS) $(SAN) $(DELIVER_CFLAGS) -o $@ $< \
	    $(shell $(PKG_CONFIG) --libs gio-2.0)

# libnotify and libcurl are for the delivering process alone.
$(BUILD)/src/twd/deliver.o: ALL_CFLAGS += $(DELIVER_CFLAGS)

$(DELIVER): $(call obj,src/twd/deliver.c) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DELIVER_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(COMMON_LIB): $(call obj,$(COMMON_SRCS))
	@rm -f $@
	$(AR) rcs $@ $^

$(TWD_LIB): $(call obj,$(TWD_LIB_SRCS))
	@rm -f $@
	$(AR) rcs $@ $^

$(TWD): $(call obj,$(TWD_SRCS)) $(TWD_LIB) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TWD_BIN_LIBS) 2>$@.ld || \
	    { cat $@.ld >&2; rm -f $@.ld; exit 1; }
	@grep -v -e 'in statically linked applications' -e ': in function' \
	    $@.ld >&2; rm -f $@.ld

$(BUILD)/src/twweb/%.o: ALL_CFLAGS += -DTW_WEB_DIR='"$(DATADIR)/taskweaver/web"' \
    $(shell $(PKG_CONFIG) --cflags libcrypto libssl)
$(TWWEB): $(call obj,$(TWWEB_SRCS)) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) \
	    $(shell $(PKG_CONFIG) --libs libevent_extra libevent_openssl libssl libcrypto)
$(BUILD)/share/taskweaver/web/%: share/web/%
	@mkdir -p $(dir $@)
	cp $< $@

# twctl check loads tasks files with the daemon's own loader.
TWCTL_TWD_OBJS = $(call obj,src/twd/config.c src/twd/config-fields.c \
    src/twd/config-load.c src/twd/config-sections.c src/twd/config-checks.c \
    src/twd/config-view.c src/twd/config-file.c src/twd/config-maps.c \
    src/twd/config-plugins.c src/twd/config-observe.c src/twd/plugin.c \
    src/twd/config-triggers.c src/twd/gitref.c src/twd/config-capacity.c \
    src/twd/ydoc.c src/twd/run.c)
$(BUILD)/src/twctl/cmd-check.o $(BUILD)/src/twctl/cmd-edit.o \
    $(BUILD)/src/twctl/cmd-import.o $(BUILD)/src/twctl/cmd-help.o \
    $(BUILD)/src/twctl/cmd-show.o $(BUILD)/src/twctl/cmd-plugins.o: \
    ALL_CFLAGS += -Isrc/twd

$(TWCTL): $(call obj,$(TWCTL_SRCS)) $(TWCTL_TWD_OBJS) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TWCTL_LIBS)

$(BUILD)/bench/floors: tests/bench/floors.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) -std=c11 -D_GNU_SOURCE $(WARNINGS) -O2 -o $@ $< \
	    $(shell $(PKG_CONFIG) --cflags --libs yaml-0.1)

$(BUILD)/bench/%.o: tests/bench/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -Isrc/twd -c $< -o $@

$(BUILD)/bench/bench_schedule: $(BUILD)/bench/bench_schedule.o $(TWD_LIB) \
    $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TWD_LIBS)

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -Isrc/twd $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/tests/tmpdir.o \
    $(TWD_LIB) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TWD_LIBS) $(TEST_LIBS)

# The dashboard's view model is twctl's.
$(BUILD)/tests/test_dash.o: ALL_CFLAGS += -Isrc/twctl
$(BUILD)/tests/test_dash: $(BUILD)/tests/test_dash.o $(BUILD)/tests/tmpdir.o \
    $(call obj,src/twctl/dash-model.c src/twctl/output.c) $(COMMON_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

deps:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
		for p in $(DEB_PACKAGES); do \
			dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			    grep -q '^install ok installed' || missing="$$missing $$p"; \
		done; \
		if [ -n "$$missing" ]; then \
			sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
			echo "deps: installing$$missing"; \
			$$sudo apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $$sudo apt-get install \
			    -y -qq --no-install-recommends $$missing; \
		fi; \
	elif ! $(PKG_CONFIG) --exists $(PKGS) $(DELIVER_PKGS) $(TWCTL_PKGS) \
	    $(TEST_PKGS); then \
		echo "deps: not a Debian system; install the equivalents of:"; \
		echo "  $(DEB_PACKAGES)"; \
		exit 1; \
	fi

# The unit tests, the integration tests and the lints, then all of it again
# under AddressSanitizer and UndefinedBehaviorSanitizer.
check: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@$(MAKE) --no-print-directory check-unit check-cli check-lint check-bench \
	    check-install
	@$(MAKE) --no-print-directory check-san
	@$(MAKE) --no-print-directory check-fuzz

check-unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do $$t || exit 1; done

check-cli: all $(FAKE_NOTIFYD)
	@TWD=$(abspath $(TWD)) TWCTL=$(abspath $(TWCTL)) \
	    FAKE_NOTIFYD=$(abspath $(FAKE_NOTIFYD)) sh tests/cli/run.sh

check-lint:
	@sh tests/lint.sh

# make install into a temporary prefix, its unit verified, then uninstall.
check-install: all
	@sh tests/install.sh

# Each benchmark once, tiny, so the harness never rots; no timing is judged.
check-bench: all $(BUILD)/bench/bench_schedule $(BUILD)/bench/floors
	@$(BUILD)/bench/bench_schedule --quick >/dev/null && \
	    sh tests/bench/with-servers.sh \
	    python3 tests/bench/bench_daemon.py $(abspath $(TWD)) \
	    $(abspath $(TWCTL)) $(abspath $(BUILD)/bench/floors) --quick \
	    >/dev/null && \
	    echo "bench: 2 passed, 0 failed (--quick, timings not judged)"

# The benchmarks, full size, optimized; tables on stdout, JSON in build/bench/.
bench: deps
	@$(MAKE) --no-print-directory CFLAGS="-O2 -g" $(BUILD)/bench/bench_schedule
	@$(MAKE) --no-print-directory CFLAGS="-O2 -g" all $(BUILD)/bench/floors
	@TW_BENCH_JSON=$(BUILD)/bench/schedule.json $(BUILD)/bench/bench_schedule
	@sh tests/bench/with-servers.sh \
	    python3 tests/bench/bench_daemon.py $(abspath $(TWD)) $(abspath $(TWCTL)) \
	    $(abspath $(BUILD)/bench/floors) --json $(BUILD)/bench/daemon.json
	@echo "bench: results in $(BUILD)/bench/schedule.json and daemon.json"

check-san:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/san CFLAGS="-O1 -g" \
	    SAN="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    all check-unit check-cli

# Fuzz targets (tests/fuzz), built by clang with libFuzzer, ASan and UBSan.
# check-fuzz runs each briefly over its corpus; `make fuzz` at length. New
# inputs go to build/, not the tree: copy one that found a bug into
# tests/fuzz/corpus/TARGET, where it is a regression test from then on.
FUZZ_TARGETS = ydoc config proto cron
FUZZ_BUILD   = $(BUILD)/fuzz
FUZZ_SECONDS ?= 600
CHECK_FUZZ_SECONDS ?= 15
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(TWD_LIB) $(COMMON_LIB)
	@echo "  FUZZ    $<"
	@$(CC) $(ALL_CFLAGS) -Isrc/twd -fsanitize=fuzzer -o $@ \
	    $(filter %.c %.a,$^) $(TWD_LIBS)

fuzz-bins:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" SAN="$(FUZZ_SAN)" \
	    $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))

# $(1): seconds for each target.
fuzz_run = set -e; for t in $(FUZZ_TARGETS); do \
	mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	echo "fuzz: $$t for $(1) s"; \
	$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(1) -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/$$t- \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t 2>$(FUZZ_BUILD)/$$t.log || \
	    { tail -60 $(FUZZ_BUILD)/$$t.log; exit 1; }; \
	grep -E '^stat::number_of_executed_units|^Done' $(FUZZ_BUILD)/$$t.log; \
	done

check-fuzz: fuzz-bins
	@$(call fuzz_run,$(CHECK_FUZZ_SECONDS))

fuzz: deps fuzz-bins
	@$(call fuzz_run,$(FUZZ_SECONDS))

run: deps
	@$(MAKE) --no-print-directory all
	@rm -rf $(BUILD)/demo && mkdir -m 700 -p $(BUILD)/demo
	@install -m 600 examples/tasks.yaml $(BUILD)/demo/tasks.yaml
	@./$(TWD) --config $(BUILD)/demo/tasks.yaml --state-dir $(BUILD)/demo \
	    --socket $(BUILD)/demo/twd.sock --grace 5s
	@echo "demo: twd runs examples/tasks.yaml; its state and socket are in $(BUILD)/demo"
	@echo "demo: the dashboard opens; q quits it and stops the demo"
	@./$(TWCTL) --socket $(BUILD)/demo/twd.sock dash; \
	    ./$(TWCTL) --socket $(BUILD)/demo/twd.sock shutdown >/dev/null

install: all
	@# The unit names twd by its absolute path: systemd searches no PATH
	@# of the user's. BINDIR must be absolute then (PREFIX=~/.local is).
	@case "$(BINDIR)" in /*) ;; *) echo "install: BINDIR '$(BINDIR)'" \
	    "is not absolute; the systemd unit needs twd's absolute path" >&2; \
	    exit 1 ;; esac
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions \
	    $(DESTDIR)$(ZSH_COMPDIR) \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d \
	    $(DESTDIR)$(DATADIR)/taskweaver $(DESTDIR)$(PLUGINDIR)
	install -m 755 $(TWD) $(TWCTL) $(DELIVER) $(TWWEB) $(DESTDIR)$(BINDIR)
	install -d $(DESTDIR)$(DATADIR)/taskweaver/web
	install -m 644 $(WEB_SRC_FILES) $(DESTDIR)$(DATADIR)/taskweaver/web
	install -m 755 $(PLUGINS) $(DESTDIR)$(PLUGINDIR)
	install -m 644 man/twd.1 man/twctl.1 man/twweb.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/taskweaver.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 man/taskweaver-ipc.7 man/taskweaver-plugins.7 \
	    $(DESTDIR)$(MANDIR)/man7
	install -m 644 completions/twctl.bash \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/twctl
	install -m 644 completions/_twctl $(DESTDIR)$(ZSH_COMPDIR)
	install -m 644 completions/twctl.fish \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 644 examples/tasks.yaml $(DESTDIR)$(DATADIR)/taskweaver
	sed 's|@BINDIR@|$(BINDIR)|g' share/twd.service.in \
	    >$(DESTDIR)$(DATADIR)/taskweaver/twd.service
	chmod 644 $(DESTDIR)$(DATADIR)/taskweaver/twd.service
	sed 's|@BINDIR@|$(BINDIR)|g' share/twweb.service.in \
	    >$(DESTDIR)$(DATADIR)/taskweaver/twweb.service
	chmod 644 $(DESTDIR)$(DATADIR)/taskweaver/twweb.service
	install -d $(DESTDIR)$(DATADIR)/systemd/user
	install -m 644 $(DESTDIR)$(DATADIR)/taskweaver/twd.service \
	    $(DESTDIR)$(DATADIR)/systemd/user/twd.service
	install -m 644 $(DESTDIR)$(DATADIR)/taskweaver/twweb.service \
	    $(DESTDIR)$(DATADIR)/systemd/user/twweb.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/twd $(DESTDIR)$(BINDIR)/twctl \
	    $(DESTDIR)$(BINDIR)/twd-deliver $(DESTDIR)$(BINDIR)/twweb \
	    $(DESTDIR)$(PLUGINDIR)/http \
	    $(DESTDIR)$(MANDIR)/man1/twd.1 $(DESTDIR)$(MANDIR)/man1/twctl.1 \
	    $(DESTDIR)$(MANDIR)/man1/twweb.1 \
	    $(DESTDIR)$(MANDIR)/man5/taskweaver.5 \
	    $(DESTDIR)$(MANDIR)/man7/taskweaver-ipc.7 \
	    $(DESTDIR)$(MANDIR)/man7/taskweaver-plugins.7 \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/twctl \
	    $(DESTDIR)$(ZSH_COMPDIR)/_twctl \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/twctl.fish
	rm -f $(DESTDIR)$(DATADIR)/systemd/user/twd.service \
	    $(DESTDIR)$(DATADIR)/systemd/user/twweb.service
	rm -rf $(DESTDIR)$(DATADIR)/taskweaver

format:
	clang-format -i src/*/*.c src/*/*.h tests/unit/*.c tests/fuzz/*.c \
	    tests/bench/*.c

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
