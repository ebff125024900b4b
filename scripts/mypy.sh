#!/usr/bin/env bash
# The type check, in one place: scripts/test.sh and the pre-commit hook both run this.
# The tests are checked too: they drive the typed gRPC stubs and the openai SDK, and a
# wrong request type or an unnarrowed stream union there is a bug in the test.
set -euo pipefail
cd "$(dirname "$0")/.."
# bench/ too: its scripts import each other by module name, and its tests (tests/bench)
# see them typed only when they are part of the same run.
exec .venv/bin/mypy gate_service bridge mock_provider tests bench
