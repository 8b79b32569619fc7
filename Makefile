# mixbox — see README.md. Every target is phony.
.PHONY: all build build-all wasm test test-short test-cache tools lint fmt golden fuzz bench check clean deps hello hello-image

GO        ?= go
BIN       := bin
FUZZTIME  ?= 30s
WASMFLAGS := -trimpath -buildvcs=false -ldflags='-s -w'
# A Go mixin on wasmabi/guest built as a reactor (abi-v1 §1a): one instance
# per run, restored before every step, instead of a Go start-up per step.
REACTOR   := -buildmode=c-shared -tags mixbox_reactor
# The exec mixin also allows an initialization image (wasmabi/guest, image.go).
EXEC_REACTOR := -buildmode=c-shared -tags mixbox_reactor,mixbox_image

all: build

## build: bin/mixbox (static: it is also an image's porter-runtime) carrying its built-in's compiled code, and the exec mixin in both forms, laid out as a mixins dir.
# The built-in exec mixin is compiled for this machine's CPU into a fresh
# cache, which host/internal/cmd/mkseed appends to bin/mixbox (package seed):
# a run whose cache is empty unpacks it instead of starting on the interpreter.
build:
	CGO_ENABLED=0 $(GO) build $(MIXBOXFLAGS) -o $(BIN)/mixbox ./cmd/mixbox
	rm -rf $(BIN)/seed-cache && $(BIN)/mixbox precompile --cache-dir $(BIN)/seed-cache >/dev/null
	$(GO) run ./host/internal/cmd/mkseed -cache $(BIN)/seed-cache $(BIN)/mixbox
	rm -rf $(BIN)/seed-cache
	$(GO) build -o $(BIN)/mixins/exec/runtimes/exec-runtime ./mixins/exec/cmd/exec-runtime
	cp mixins/exec/builtin/exec-runtime.wasm $(BIN)/mixins/exec/runtimes/exec-runtime.wasm

# The Go release that builds the committed exec-runtime.wasm: another release
# (even a patch release) changes its bytes, so make wasm always uses this one;
# GOTOOLCHAIN fetches it from the Go proxy when the local go differs. Raise it
# in a commit that also rebuilds the wasm.
WASM_GO := go1.26.8

PLATFORMS := linux/amd64 linux/arm64
# mixbox is also every image's porter-runtime: no symbol tables (build info stays).
MIXBOXFLAGS := -trimpath -ldflags='-s -w'

## build-all: a static mixbox per platform, bin/<os>_<arch>/mixbox, for mixbox build --runtime.
build-all:
	@for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; \
	  echo "CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build $(MIXBOXFLAGS) -o $(BIN)/$${os}_$${arch}/mixbox ./cmd/mixbox"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build $(MIXBOXFLAGS) -o $(BIN)/$${os}_$${arch}/mixbox ./cmd/mixbox || exit 1; \
	done

WASM_DIRS := testdata host/internal/wasm/testdata host/mixintest/testdata examples/cmixin

## wasm: rebuild every committed .wasm from its source (make check: no diff).
# After linking, the exec module's data segments are joined (wazero decodes
# and copies one segment per run of non-zero bytes otherwise) and its mutable
# globals exported as the host would at load (host/internal/cmd/postlink);
# its sha256 is written beside it, so that mixbox does not hash it at start.
wasm: deps
	GOTOOLCHAIN=$(WASM_GO) GOFLAGS= GOOS=wasip1 GOARCH=wasm $(GO) build $(WASMFLAGS) $(EXEC_REACTOR) -o mixins/exec/builtin/exec-runtime.wasm ./mixins/exec/cmd/exec-runtime
	$(GO) run ./host/internal/cmd/postlink mixins/exec/builtin/exec-runtime.wasm
	sha256sum mixins/exec/builtin/exec-runtime.wasm | cut -d' ' -f1 > mixins/exec/builtin/exec-runtime.wasm.sha256
	@for d in $(WASM_DIRS); do $(MAKE) -s -B -C $$d || exit 1; done

## deps: install the Debian packages the tests need (wabt, clang, lld, wasi-libc) if missing.
deps:
	@scripts/deps.sh

# testfmt runs go test -json and prints a line per package as it finishes,
# the output of failing tests, and a summary naming them (internal/cmd/testfmt).
TESTFMT := $(BIN)/testfmt -go $(GO) --

# The compiled-module cache every test package shares (MIXBOX_TEST_CACHE,
# internal/testutil.SharedCache): the built-in mixins compiled once, outside
# the race detector, by `mixbox precompile`.
TEST_CACHE := $(CURDIR)/$(BIN)/test-cache

test-cache:
	@$(GO) build -o $(BIN)/testfmt ./internal/cmd/testfmt
	@$(GO) run ./cmd/mixbox precompile --cache-dir $(TEST_CACHE) >/dev/null

# Tests named *_compiler or *_interpreter compile the 6.5 MB exec module cold
# or run it on wazero's interpreter: under the race detector, which
# instruments wazero itself, they take minutes and find nothing in mixbox, so
# they run in a second pass without it (RATIONALE.md).
ENGINE_TESTS := _compiler|_interpreter

## test: the whole suite: with the race detector, then the engine tests without it.
test: deps test-cache
	MIXBOX_TEST_CACHE=$(TEST_CACHE) $(TESTFMT) -race -skip '$(ENGINE_TESTS)' -timeout 900s ./...
	MIXBOX_TEST_CACHE=$(TEST_CACHE) $(TESTFMT) -run '$(ENGINE_TESTS)' -timeout 900s ./...

## test-short: go test -short, through the same formatter.
test-short: test-cache
	MIXBOX_TEST_CACHE=$(TEST_CACHE) $(TESTFMT) -short ./...

# golangci-lint, pinned and installed into bin/tools (not whatever is on PATH):
# make fmt and make lint give the same result on every machine.
GOLANGCI_VERSION := v2.15.0
GOLANGCI         := $(BIN)/tools/golangci-lint

## tools: install golangci-lint $(GOLANGCI_VERSION) into bin/tools if it is missing or another version.
tools:
	@$(GOLANGCI) version 2>/dev/null | grep -q 'version $(GOLANGCI_VERSION:v%=%) ' || \
	  GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

## lint: go vet, and golangci-lint (.golangci.yml: testableexamples, errcheck, gofmt, goimports, ...).
lint: tools
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./wasmabi/... ./mixins/...
	GOOS=wasip1 GOARCH=wasm $(GO) vet -tags mixbox_reactor,mixbox_image ./wasmabi/... ./mixins/...
	$(GOLANGCI) run --timeout 10m ./...
	GOOS=wasip1 GOARCH=wasm $(GOLANGCI) run --timeout 10m ./wasmabi/... ./mixins/...
	GOOS=wasip1 GOARCH=wasm $(GOLANGCI) run --timeout 10m --build-tags mixbox_reactor,mixbox_image ./wasmabi/... ./mixins/...

## fmt: gofmt -s, and goimports with the module as the local prefix (.golangci.yml's formatters).
fmt: tools
	gofmt -s -w .
	$(GOLANGCI) fmt

# Packages with golden files (internal/testutil.Golden). -update rewrites
# mixbox's own goldens only: testdata/porter-compat is what the real Porter
# produced, and testutil.WriteGolden refuses to write there.
GOLDEN_PKGS := ./host/internal/tmpl

## golden: rewrite mixbox's own golden files (never testdata/porter-compat).
golden:
	$(GO) test $(GOLDEN_PKGS) -update

## fuzz: one loop per Fuzz* target, FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done

## bench: Go benchmarks into bench.txt (compare runs with benchstat), then whole runs side by side (scripts/bench-e2e.sh): wasm/native always, mixbox/Porter with PORTER_RUNTIME and PORTER_EXEC set.
bench: build test-cache
	MIXBOX_TEST_CACHE=$(TEST_CACHE) $(GO) test -run='^$$' -bench=. -benchmem -count=$${COUNT:-5} ./... | tee bench.txt
	@scripts/bench-e2e.sh | tee -a bench.txt

## check: fmt, lint, go mod tidy and wasm, then fail if they changed or added a file (CI runs it).
check: fmt lint wasm
	$(GO) mod tidy
	@git diff --exit-code && [ -z "$$(git status --porcelain)" ] || \
	  { git status --short; echo "make check: the tree changed; it will fail CI until committed"; exit 1; }

## hello: run examples/hello's install end to end (no container, no root).
hello: build
	@examples/hello/run.sh

## hello-image: examples/hello's invocation image on a busybox-only base, as bin/hello-image (OCI layout) and bin/hello-image.tar (docker load).
hello-image: build deps
	scripts/busybox-base.sh $(BIN)/busybox-base
	$(BIN)/mixbox build --dir examples/hello/bundle --base oci:$(BIN)/busybox-base --tag mixbox/hello:0.1.0 -o oci:$(BIN)/hello-image
	$(BIN)/mixbox build --dir examples/hello/bundle --base oci:$(BIN)/busybox-base --tag mixbox/hello:0.1.0 -o tar:$(BIN)/hello-image.tar

clean:
	rm -rf $(BIN) bench.txt
