#!/usr/bin/env bash
# Start SpiderGate on its embedded default (SQLite in ~/.spidergate), with the mock
# provider serving every alias, and print a fresh agent token. Extra arguments go to
# `spidergate serve` (e.g. --port 9000, --data-dir /tmp/sg). Without --demo:
#   .venv/bin/spidergate serve
source "$(dirname "$0")/_venv.sh" ""
exec .venv/bin/spidergate serve --demo "$@"
