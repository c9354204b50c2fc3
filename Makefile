# poold: build, run the example pool, test.
# `make run` and `make test` work on a fresh Debian 12 machine with Go and
# Node.js; scripts/deps.sh installs what else they need.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PORT    ?= 3000
WORKERS ?= 4

.PHONY: all build run deps example-deps vet lint test test-unit test-e2e fuzz man clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/poold ./cmd/poold
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/poolctl ./cmd/poolctl

example-deps:
	npm ci --prefix examples/express --no-audit --no-fund

deps:
	scripts/deps.sh

# The example Express app on 127.0.0.1:$(PORT) with $(WORKERS) workers.
run: build example-deps
	cd examples/express && ../../bin/poold --name express --listen 127.0.0.1:$(PORT) --workers $(WORKERS) -- node server.js

vet:
	$(GO) vet ./...

lint:
	$(GO) tool staticcheck ./...

test-unit:
	$(GO) test -race ./...

# Everything CI runs: dependencies, vet, lint, all tests with the race detector.
test: deps example-deps vet lint
	$(GO) test -race -count=1 ./...

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=30s ./internal/notify/

# poolctl's man pages and shell completions, from its command definitions.
man:
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || date +%s) \
	$(GO) run ./cmd/poolctl __generate --man docs/man --completions completions

clean:
	rm -rf bin dist
