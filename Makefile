# lastframe — top-level build. `make` puts every binary in build/.
# Sources are picked up by directory so modules can grow without Makefile edits.

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
MANDIR   ?= $(PREFIX)/share/man
PCDIR    ?= $(LIBDIR)/pkgconfig
USERUNITDIR ?= $(PREFIX)/lib/systemd/user

VERSION  := 0.1.0
B        := build
CC       ?= cc
PKGS     := libpipewire-0.3 libdrm egl libsystemd libpng
PKGS     += glesv2 # GPU readback (capture/readback*.c)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS_BASE := -std=gnu17 -O2 -g -fPIC $(WARN) -D_GNU_SOURCE -DLF_VERSION=\"$(VERSION)\" -I. $(PKG_CFLAGS)
ifeq ($(SAN),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS_SAN := -fsanitize=address,undefined
endif
ALL_CFLAGS  = $(CFLAGS_BASE) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS_SAN) $(LDFLAGS)

# --- sources --------------------------------------------------------------
CORE_SRCS    := $(sort $(wildcard base/*.c capture/*.c fence/*.c ipc/*.c daemon/*.c))
CORE_SRCS    := $(filter-out daemon/main.c,$(CORE_SRCS))
LIB_SRCS     := $(sort $(wildcard client/lib/*.c))
CLI_SRCS     := $(sort $(wildcard client/cli/*.c))
TESTSRC_SRCS := $(sort $(wildcard tests/testsrc/*.c))
UNIT_SRCS    := $(sort $(wildcard tests/unit/test-*.c))
UNIT_SUPPORT := $(filter-out $(UNIT_SRCS),$(sort $(wildcard tests/unit/*.c)))
BENCH_SRCS   := $(sort $(wildcard bench/*.c))
GPU_SRCS     := $(sort $(wildcard tests/gpu/*.c))
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz-*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
CORE_OBJS    := $(call obj,$(CORE_SRCS))
LIB_OBJS     := $(call obj,$(LIB_SRCS))
CLI_OBJS     := $(call obj,$(CLI_SRCS))
TESTSRC_OBJS := $(call obj,$(TESTSRC_SRCS))
UNIT_SUPPORT_OBJS := $(call obj,$(UNIT_SUPPORT))
UNIT_BINS    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
BENCH_BINS   := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRCS))
GPU_BINS     := $(patsubst tests/gpu/%.c,$(B)/gpu/%,$(GPU_SRCS))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))

BINS := $(B)/lastframed $(B)/lastframe $(B)/liblastframe.so $(B)/lastframe-testsrc \
        $(B)/lastframe.pc $(UNIT_BINS) $(BENCH_BINS) $(GPU_BINS)

.PHONY: gpu-check check-valgrind all check demo install install-user uninstall clean deps bench fuzz fuzz-check unit integration vm-check
all: $(BINS)

# Rebuild everything when the flags change (SAN=1 vs plain).
$(B)/.flags: FORCE
	@mkdir -p $(B); echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
FORCE:

$(B)/obj/%.o: %.c $(B)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(OBJ_EXTRA_CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

$(B)/liblfcore.a: $(CORE_OBJS)
	@rm -f $@; ar rcs $@ $^

$(B)/lastframed: $(B)/obj/daemon/main.o $(B)/liblfcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/liblastframe.so: $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,liblastframe.so.0 -o $@ $^ -lm
	@ln -sf liblastframe.so $(B)/liblastframe.so.0

$(B)/liblastframe.a: $(LIB_OBJS)
	@rm -f $@; ar rcs $@ $^

$(B)/lastframe: $(CLI_OBJS) $(B)/liblastframe.so
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) -L$(B) -llastframe -Wl,-rpath,'$$ORIGIN:$$ORIGIN/../lib' $(PKG_LIBS) -lm

$(B)/lastframe-testsrc: $(TESTSRC_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/lastframe.pc: client/lastframe.pc.in Makefile
	@mkdir -p $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' $< > $@

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(UNIT_SUPPORT_OBJS) $(B)/liblfcore.a $(B)/liblastframe.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS) -lm

# Not ALL_CFLAGS: target-specific values reach prerequisites (build/.flags)
# and would make every other object look stale.
$(B)/obj/tests/unit/%.o: OBJ_EXTRA_CFLAGS = $(CHECK_CFLAGS)

$(B)/bench/%: $(B)/obj/bench/%.o $(B)/liblastframe.a $(B)/liblfcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Checks that need a real GPU: built always, run by hand (CI has no GPU).
$(B)/gpu/%: $(B)/obj/tests/gpu/%.o $(B)/liblfcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# libFuzzer targets: clang, built separately from the main objects.
FUZZ_CC ?= clang-14
$(B)/fuzz/%: tests/fuzz/%.c $(CORE_SRCS) $(B)/.flags
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu17 -g -O1 -D_GNU_SOURCE -DLF_VERSION=\"$(VERSION)\" -I. $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(CORE_SRCS) $(PKG_LIBS) -lm

# --- tests ------------------------------------------------------------------
deps:
	@tools/install-deps

unit: all
	@tests/run-unit $(UNIT_BINS)

integration: all
	@tests/run-integration

check-valgrind: all
	@tests/run-valgrind

vm-check: all
	@tests/vm/run-vm-tests

# The GPU checks, by hand on a machine with a GPU (exit 77: none here).
gpu-check: $(GPU_BINS)
	@set -e; for t in $(GPU_BINS); do echo "== $$t"; $$t || [ $$? -eq 77 ]; done

fuzz-check: $(FUZZ_BINS)
	@tests/fuzz/run-fuzz $(if $(FUZZ_SECONDS),$(FUZZ_SECONDS),60)

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run-fuzz $(if $(FUZZ_SECONDS),$(FUZZ_SECONDS),600)

check: deps
	@$(MAKE) --no-print-directory all
	@tests/run-all

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run $(if $(filter 1,$(QUICK)),--quick)

# --- install ----------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) \
	    $(DESTDIR)$(USERUNITDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(B)/lastframed $(B)/lastframe $(DESTDIR)$(BINDIR)/
	install -m 0755 $(B)/liblastframe.so $(DESTDIR)$(LIBDIR)/liblastframe.so.0
	ln -sf liblastframe.so.0 $(DESTDIR)$(LIBDIR)/liblastframe.so
	install -m 0644 client/lastframe.h $(DESTDIR)$(INCDIR)/
	@# Generated here, not from build/: PREFIX given only to `make install` must reach it.
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' client/lastframe.pc.in > $(DESTDIR)$(PCDIR)/lastframe.pc
	chmod 0644 $(DESTDIR)$(PCDIR)/lastframe.pc
	set -e; for u in systemd/*.service systemd/*.socket; do [ -f "$$u" ] || continue; \
	    sed 's|@BINDIR@|$(BINDIR)|g' $$u > $(DESTDIR)$(USERUNITDIR)/$$(basename $$u); done
	set -e; for m in docs/*.1; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/ || true; done
	set -e; for m in docs/*.8; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/ || true; done

install-user:
	$(MAKE) install PREFIX=$(HOME)/.local USERUNITDIR=$(HOME)/.config/systemd/user
	systemctl --user daemon-reload || true

clean:
	rm -rf $(B)

# --- GStreamer plugin (gst/): lastframesrc ------------------------------------
# liblastframe is linked in statically (its symbols kept private), so the
# installed plugin needs nothing but GStreamer.
GST_PKGS     := gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0 gstreamer-allocators-1.0
GST_CFLAGS   := $(shell pkg-config --cflags $(GST_PKGS) 2>/dev/null)
GST_LIBS     := $(shell pkg-config --libs $(GST_PKGS) 2>/dev/null)
GST_PLUGINDIR ?= $(shell pkg-config --variable=pluginsdir gstreamer-1.0 2>/dev/null)
# Default: where GStreamer looks. A PREFIX given to make puts it below that
# prefix like everything else (add it to GST_PLUGIN_PATH then).
ifneq ($(origin PREFIX),file)
GST_PLUGINDIR := $(LIBDIR)/gstreamer-1.0
endif
GST_SRCS     := $(sort $(wildcard gst/*.c))
GST_OBJS     := $(call obj,$(GST_SRCS))
$(GST_OBJS): OBJ_EXTRA_CFLAGS = $(GST_CFLAGS) -fvisibility=hidden
$(B)/gst/libgstlastframe.so: $(GST_OBJS) $(B)/liblastframe.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,--exclude-libs,ALL -Wl,-z,defs -o $@ $(GST_OBJS) \
	    $(B)/liblastframe.a $(GST_LIBS) -lm
all: $(B)/gst/libgstlastframe.so
install: install-gst
.PHONY: install-gst install-user-gst
install-gst: $(B)/gst/libgstlastframe.so
	install -d $(DESTDIR)$(GST_PLUGINDIR)
	install -m 0755 $< $(DESTDIR)$(GST_PLUGINDIR)/
install-user: install-user-gst
install-user-gst: $(B)/gst/libgstlastframe.so
	install -d $(HOME)/.local/share/gstreamer-1.0/plugins
	install -m 0755 $< $(HOME)/.local/share/gstreamer-1.0/plugins/
