#!/usr/bin/env bash
# Install the competitor gateways used by `python bench/run.py --compare`.
#
#   bench/.cache/litellm-venv  -- a private virtualenv with PyPI `litellm[proxy]`
#   bench/.cache/portkey       -- npm `@portkey-ai/gateway`
#
# Idempotent: an install that is already there is left alone (pass --force to
# reinstall). Nothing is installed into the project's own virtualenv.
# Environment knobs: PYTHON (interpreter for the LiteLLM venv, default python3),
# LITELLM_SPEC (default 'litellm[proxy]'), PORTKEY_SPEC (default '@portkey-ai/gateway'),
# PORTKEY_HONO_NODE_SERVER (pinned @hono/node-server version, default 1.14.1).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$here/.cache"
force=0
only=""
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        --litellm) only="litellm" ;;
        --portkey) only="portkey" ;;
        -h|--help)
            echo "usage: $0 [--force] [--litellm|--portkey]"
            exit 0
            ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

python="${PYTHON:-python3}"
litellm_spec="${LITELLM_SPEC:-litellm[proxy]}"
portkey_spec="${PORTKEY_SPEC:-@portkey-ai/gateway}"
# @hono/node-server 1.14.2 and newer hand Portkey's gateway fetch responses whose
# headers are immutable; the gateway then answers 500 "Something went wrong" to
# streaming chat completions (Portkey-AI/gateway#1389; 1.14.2 already reuses the
# immutable Headers for stream bodies). Pin the last version that copies them.
hono_node_server="${PORTKEY_HONO_NODE_SERVER:-1.14.1}"

# LiteLLM fetches its model cost map from GitHub on import unless told not to.
export LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False

mkdir -p "$cache"

install_litellm() {
    local venv="$cache/litellm-venv"
    if [[ $force -eq 0 && -x "$venv/bin/litellm" ]] \
        && "$venv/bin/python" -c "import litellm.proxy.proxy_server" >/dev/null 2>&1; then
        echo "litellm: already installed in $venv"
        return 0
    fi
    echo "litellm: installing '$litellm_spec' into $venv"
    if [[ $force -eq 1 ]]; then rm -rf "$venv"; fi
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "$litellm_spec"
    "$venv/bin/python" -c "import litellm.proxy.proxy_server" >/dev/null
    echo "litellm: ok ($("$venv/bin/python" -m pip show litellm | awk '/^Version:/{print $2}'))"
}

install_portkey() {
    local dir="$cache/portkey"
    local pkg="$dir/node_modules/@portkey-ai/gateway/package.json"
    local hono="$dir/node_modules/@hono/node-server/package.json"
    if [[ $force -eq 0 && -f "$pkg" && -f "$hono" ]] \
        && [[ "$(node -p "require('$hono').version")" == "$hono_node_server" ]]; then
        echo "portkey: already installed in $dir"
        return 0
    fi
    echo "portkey: installing '$portkey_spec' (@hono/node-server $hono_node_server) into $dir"
    if [[ $force -eq 1 ]]; then rm -rf "$dir"; fi
    mkdir -p "$dir"
    printf '{\n  "name": "spidergate-bench-portkey",\n  "private": true,\n  "overrides": {\n    "@hono/node-server": "%s"\n  }\n}\n' \
        "$hono_node_server" >"$dir/package.json"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$portkey_spec")
    test -f "$pkg"
    echo "portkey: ok ($(node -p "require('$pkg').version"), @hono/node-server $(node -p "require('$hono').version"))"
}

status=0
if [[ -z "$only" || "$only" == "litellm" ]]; then install_litellm || status=1; fi
if [[ -z "$only" || "$only" == "portkey" ]]; then install_portkey || status=1; fi
exit $status
