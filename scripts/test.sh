#!/usr/bin/env bash
# Run every check: install what is missing, lint the protos (buf) and the code (ruff,
# mypy), then the whole test suite. Extra arguments go to pytest.
source "$(dirname "$0")/_venv.sh" dev
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "Node.js and npm are needed for the Node client tests and buf (apt-get install nodejs npm)" >&2
  exit 1
fi
if [ ! -d tests/node/node_modules ] || [ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "== buf lint" >&2
tests/node/node_modules/.bin/buf lint
echo "== ruff" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy" >&2
scripts/mypy.sh
echo "== pytest" >&2
exec .venv/bin/pytest "$@"
