#!/usr/bin/env bash
# Records the test recordings of internal/recordings again, in Debian's
# Chromium: the demo shop with Playhead's recorder, and the fixture site
# with stock rrweb (web/package.json pins it). It prints a row for the table
# of internal/recordings/testdata/README.md per file; put them there.
set -euo pipefail
cd "$(dirname "$0")/.."
make web deps
go run ./internal/recordings/record "$@"
