#!/usr/bin/env bash
# The type check, in one place: scripts/test.sh and the pre-commit hook both run this.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/mypy gate_service bridge mock_provider
