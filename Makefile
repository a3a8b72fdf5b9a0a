# Playhead: `make run` starts it with a demo shop; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
BIN := bin/playhead
WEB_SRC := $(shell find web/src web/build.mjs web/package.json web/tsconfig.json -type f 2>/dev/null)
WEB_OUT := web/build/playhead.js web/build/player.js web/build/player.css web/build/feed.js

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
	cd web && npm test --silent
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	# The search tests at full size, which the race detector makes too slow.
	$(GO) test -count=1 -run 'Search' ./internal/store/sqlite
	$(MAKE) fuzz FUZZTIME=10s

# Every fuzz target of a parser of outside input, as package:target, one
# after another (go test fuzzes one target of one package at a time).
# Minimizing the large inputs the real recordings seed would take most of a
# short run, so it is kept brief.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./internal/ingest:FuzzDecode ./internal/ingest:FuzzScanner \
	./internal/ingest:FuzzClientAddr ./internal/useragent:FuzzParse ./internal/api:FuzzMerge \
	./internal/signals:FuzzAnalyse ./internal/signals:FuzzParseEventsAsEncodingJSON \
	./internal/auth:FuzzSecret ./internal/account:FuzzParseStart \
	./internal/chunk:FuzzSplit ./internal/chunk:FuzzChunkRoundTrip ./internal/chunk:FuzzDecode \
	./internal/chunk:FuzzDecodePayload ./internal/ingest:FuzzDecodeImport \
	./internal/api:FuzzDecodeTagRequest ./internal/api:FuzzDecodeCursor \
	./internal/api:FuzzDecodeNoteRequest ./internal/jsonbody:FuzzDecode \
	./internal/account:FuzzDecodeShareRequest ./internal/jsonlex:FuzzToken \
	./internal/api:FuzzParseMoment
fuzz: web
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; f=$${t##*:}; \
		echo "fuzz $$f in $$pkg for $(FUZZTIME)"; \
		GO="$(GO)" scripts/fuzz.sh $$pkg $$f $(FUZZTIME) || exit 1; \
	done

# Go benchmarks, then the ingest load test: a real server against the bare
# gunzip+zstd ceiling, side by side in one run (docs/benchmarks.md).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...
	scripts/bench-ingest.sh

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf bin web/build/*.js web/build/*.css web/build/*.map
