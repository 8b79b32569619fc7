# mixbox — see README.md. Every target is phony.
.PHONY: all build build-all wasm test test-short lint fmt golden fuzz bench check clean deps hello hello-image

GO        ?= go
BIN       := bin
FUZZTIME  ?= 30s
WASMFLAGS := -trimpath -buildvcs=false -ldflags='-s -w'
MODULE    := $(shell $(GO) list -m)

all: build

## build: bin/mixbox (static: it is also an image's porter-runtime) and the exec mixin in both forms, laid out as a mixins dir.
build:
	CGO_ENABLED=0 $(GO) build $(MIXBOXFLAGS) -o $(BIN)/mixbox ./cmd/mixbox
	$(GO) build -o $(BIN)/mixins/exec/runtimes/exec-runtime ./mixins/exec/cmd/exec-runtime
	cp mixins/exec/builtin/exec-runtime.wasm $(BIN)/mixins/exec/runtimes/exec-runtime.wasm

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
wasm: deps
	GOOS=wasip1 GOARCH=wasm $(GO) build $(WASMFLAGS) -o mixins/exec/builtin/exec-runtime.wasm ./mixins/exec/cmd/exec-runtime
	@for d in $(WASM_DIRS); do $(MAKE) -s -B -C $$d || exit 1; done

## deps: install the Debian packages the tests need (wabt, clang, lld, wasi-libc) if missing.
deps:
	@scripts/deps.sh

## test: the whole suite, with the race detector.
test: deps
	$(GO) test -race -timeout 900s ./...

test-short:
	$(GO) test -short ./...

GOLANGCI := $(shell command -v golangci-lint || echo $$($(GO) env GOPATH)/bin/golangci-lint)

## lint: go vet, and golangci-lint (.golangci.yml: testableexamples, errcheck, ...), installed if missing.
lint:
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./wasmabi/... ./mixins/...
	@[ -x "$(GOLANGCI)" ] || $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
	$(GOLANGCI) run --timeout 10m ./...
	GOOS=wasip1 GOARCH=wasm $(GOLANGCI) run --timeout 10m ./wasmabi/... ./mixins/...

fmt:
	gofmt -s -w .
	@if command -v goimports >/dev/null; then goimports -local $(MODULE) -w .; fi

golden:
	$(GO) test ./host/internal/tmpl -run 'TestRenderStep_fixtures' -update

## fuzz: one loop per Fuzz* target, FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done

## bench: Go benchmarks into bench.txt (compare runs with benchstat).
bench: build
	$(GO) test -run='^$$' -bench=. -benchmem -count=$${COUNT:-5} ./... | tee bench.txt
	@scripts/bench-e2e.sh | tee -a bench.txt

check: fmt lint wasm
	$(GO) mod tidy
	@git diff --exit-code || (echo "make check: the tree changed; it will fail CI until committed" && exit 1)

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
