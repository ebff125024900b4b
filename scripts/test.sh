#!/usr/bin/env bash
# Run every check: install what is missing, lint the protos (buf lint, buf breaking) and
# the code (ruff, mypy), then the test suite on xdist workers, without the `soak` tests
# (.ci/run runs those alone afterwards: .venv/bin/pytest -m soak -n 0). Extra arguments
# go to pytest.
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
echo "== buf breaking" >&2
# The gRPC contract stays compatible with the previous commit (buf.yaml: FILE rules). CI
# tests a fresh clone, which may be shallow: then one more commit is fetched. With no
# previous commit (a first commit, or no git history at all) there is nothing to compare.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  if ! git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null \
    && [ "$(git rev-parse --is-shallow-repository)" = true ]; then
    git fetch -q --deepen=1 || echo "could not deepen the shallow clone" >&2
  fi
  if git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null; then
    tests/node/node_modules/.bin/buf breaking --against '.git#ref=HEAD~1'
  else
    echo "no previous commit: buf breaking skipped" >&2
  fi
else
  echo "not a git checkout: buf breaking skipped" >&2
fi
echo "== ruff" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy" >&2
scripts/mypy.sh
echo "== pytest" >&2
exec .venv/bin/pytest "$@"
