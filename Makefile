# Playhead: `make run` starts it with a demo shop; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
BIN := bin/playhead
WEB_SRC := $(shell find web/src web/build.mjs web/package.json web/tsconfig.json -type f 2>/dev/null)
WEB_OUT := web/build/playhead.js web/build/player.js web/build/player.css

.PHONY: all build web run test test-go test-e2e fuzz bench lint deps clean

all: build

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

$(WEB_OUT) &: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run --silent check

web: $(WEB_OUT)

build: web
	$(GO) build -o $(BIN) ./cmd/playhead

run: build
	./$(BIN) serve

# Installs what the tests need that Go does not fetch itself.
deps:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

test: web deps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz FUZZTIME=10s

FUZZTIME ?= 30s
fuzz: web
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/ingest

bench: web
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 ./...

clean:
	rm -rf bin web/build/*.js web/build/*.css web/build/*.map
