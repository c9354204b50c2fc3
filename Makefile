# poold: build, run the example pool, test.
# `make run` and `make test` work on a fresh Debian 12 machine with Go and
# Node.js; scripts/deps.sh installs what else they need.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PORT    ?= 3000
WORKERS ?= 4

.PHONY: all build run run-deps deps example-deps vet lint test test-unit test-e2e fuzz man clean \
	deb rpm packages pkg-stage bench bench-quick soak

all: build

# -v names each package as it is compiled: the first build downloads and
# compiles every module (2-3 minutes), later ones only what changed.
build:
	@echo "make: building bin/poold and bin/poolctl (the first time: 2-3 minutes, downloading and compiling Go modules)"
	$(GO) build -v -ldflags "$(LDFLAGS)" -o bin/poold ./cmd/poold
	$(GO) build -v -ldflags "$(LDFLAGS)" -o bin/poolctl ./cmd/poolctl

# The example's npm packages, installed again only when its lockfile is
# newer than the stamp the last install left (npm ci removes node_modules,
# stamp included, before it installs).
EXAMPLE_LOCK  := examples/express/package-lock.json
EXAMPLE_STAMP := examples/express/node_modules/.poold-npm-ci

example-deps: $(EXAMPLE_STAMP)

$(EXAMPLE_STAMP): $(EXAMPLE_LOCK)
	@echo "make: installing the example's npm packages (examples/express, from $(EXAMPLE_LOCK))"
	npm ci --prefix examples/express --no-audit --no-fund
	@touch $@

deps:
	scripts/deps.sh

run-deps:
	scripts/deps.sh run

# The example Express app on 127.0.0.1:$(PORT) with $(WORKERS) workers, its
# sessions in the Redis on 127.0.0.1:6379: one already there, else a
# redis-server started for the run (examples/express/with-redis.sh); as root,
# run-deps installs dbus-daemon and redis-server if missing.
run: build example-deps run-deps
	@echo "make: serving examples/express on http://127.0.0.1:$(PORT)/, WORKERS=$(WORKERS) (Ctrl-C stops it)"
	cd examples/express && ./with-redis.sh ../../bin/poold --name express --listen 127.0.0.1:$(PORT) --workers $(WORKERS) -- node server.js

vet:
	$(GO) vet ./...

lint:
	$(GO) tool staticcheck ./...

# go test's own bound, 10 minutes per package, grows with the tests' ones:
# POOLD_TEST_TIMEOUT_FACTOR (README, "Run the tests").
TEST_TIMEOUT := $(shell awk -v f="$$POOLD_TEST_TIMEOUT_FACTOR" 'BEGIN { printf "%ds", 600 * (f + 0 >= 1 ? f + 0 : 1) }')

test-unit:
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...

# Everything CI runs: dependencies, vet, lint, all tests with the race detector.
test: deps example-deps vet lint
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

# Benchmarks: the Express example under poold (every distribution mode),
# Node cluster, PM2, a single process and a bare launcher, with wrk on this
# machine, and failed requests per reload and scale-down of an unmodified
# app with and without the Node.js drain. `make bench` (about 25 minutes,
# nothing else running meanwhile) rewrites docs/benchmarks.md,
# docs/benchmarks.svg and bench/results/latest.json; `make bench-quick` is a
# smoke check of about a minute that writes to $(BENCH_QUICK_DIR). BENCH_FLAGS adds harness flags
# (go run ./bench/cmd/poold-bench -h). Needs wrk (apt-get install wrk).
BENCH_FLAGS     ?=
BENCH_QUICK_DIR ?= $(or $(TMPDIR),/tmp)/poold-bench-quick
BENCH_NPM        = (test -d examples/express/node_modules/express || npm ci --prefix examples/express --no-audit --no-fund) && \
	(test -d bench/node_modules/pm2 || npm ci --prefix bench --no-audit --no-fund)

bench: build
	$(BENCH_NPM)
	$(GO) run ./bench/cmd/poold-bench $(BENCH_FLAGS)

bench-quick: build
	$(BENCH_NPM)
	$(GO) run ./bench/cmd/poold-bench -quick -json $(BENCH_QUICK_DIR)/latest.json \
		-md $(BENCH_QUICK_DIR)/benchmarks.md -svg $(BENCH_QUICK_DIR)/benchmarks.svg $(BENCH_FLAGS)

# The chaos soak: Go workers under keep-alive and new-connection load while a
# random worker is SIGKILLed or SIGSTOPped about every second, with
# --worker-watchdog; it fails on a request no disruption explains or a worker
# that got SIGTERM twice, and prints poold's fds, RSS and CPU over the run.
# SOAK_FLAGS: e.g. -duration 1m (go run ./bench/cmd/poold-soak -h).
SOAK_FLAGS ?=
soak: build
	$(GO) run ./bench/cmd/poold-soak $(SOAK_FLAGS)

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=30s ./internal/notify/

# poolctl's man pages and shell completions, from its command definitions.
man:
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || date +%s) \
	$(GO) run ./cmd/poolctl __generate --man docs/man --completions completions

# Packages, built by nfpm (go tool nfpm) from packaging/nfpm.yaml into
# $(DIST)/: poold_VERSION_ARCH.deb and poold-VERSION-1.ARCH.rpm. Their
# version comes from git (packaging/version.sh) unless VERSION is given:
# make deb VERSION=1.2.3. packaging/README.md has the rest.
DIST       ?= dist
UNITS      ?= units
PKG_ARCH   ?= $(shell $(GO) env GOARCH)
MAINTAINER ?= poold maintainers <maintainers@users.noreply.r-seed-daf82f61.example>
PKG_STAGE   = $(DIST)/stage

ifneq ($(filter deb rpm packages pkg-stage,$(MAKECMDGOALS)),)
PKG_VERSION := $(shell packaging/version.sh $(if $(filter-out file,$(origin VERSION)),'$(VERSION)'))
ifeq ($(PKG_VERSION),)
$(error no package version: see the message above)
endif
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
endif

packages: deb rpm

deb rpm: pkg-stage
	POOLD_VERSION='$(PKG_VERSION)' POOLD_ARCH='$(PKG_ARCH)' POOLD_STAGE='$(PKG_STAGE)' \
	POOLD_UNITS='$(UNITS)' POOLD_MAINTAINER='$(MAINTAINER)' \
	$(GO) tool nfpm package --config packaging/nfpm.yaml --packager $@ --target $(DIST)/

# Static binaries (no libc dependency, the same for Debian and Fedora),
# stripped as Debian policy wants; then man pages and changelog.
pkg-stage:
	rm -rf $(PKG_STAGE)
	CGO_ENABLED=0 GOARCH=$(PKG_ARCH) $(GO) build -trimpath -ldflags "-s -w -X main.version=$(PKG_VERSION)" -o $(PKG_STAGE)/poold ./cmd/poold
	CGO_ENABLED=0 GOARCH=$(PKG_ARCH) $(GO) build -trimpath -ldflags "-s -w -X main.version=$(PKG_VERSION)" -o $(PKG_STAGE)/poolctl ./cmd/poolctl
	packaging/stage.sh $(PKG_STAGE) '$(PKG_VERSION)' '$(MAINTAINER)'

clean:
	rm -rf bin dist
