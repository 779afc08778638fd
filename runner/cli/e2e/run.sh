#!/usr/bin/env bash
# End-to-end test of `fabula report` in a real browser, offline.
#
#   bash runner/cli/e2e/run.sh
#
# Installs Debian's chromium if missing (apt-get, as root) and this folder's npm package
# (playwright-core), builds `fabula`, runs the shipped dataset on the offline sim models
# in a temporary project, rewrites some records with hostile text and a 1 MB generation
# (hostile.mjs), writes the report, and has chromium open it from file:// (run.mjs).
# Prints `report e2e: N passed, N failed`; saves screenshot.png and screenshot-task.png
# here. Bounded: FABULA_REPORT_E2E_TIMEOUT seconds in all (default 300). Every process
# it starts is ended on exit.
#
# Environment (all optional):
#   FABULA_E2E_FABULA        use this fabula binary (skips cargo build)
#   FABULA_E2E_CHROMIUM      the browser (default /usr/bin/chromium)
#   FABULA_REPORT_E2E_KEEP=1 keep the temporary project and report for inspection
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"

if [ -z "${FABULA_REPORT_E2E_INNER:-}" ]; then
  export FABULA_REPORT_E2E_INNER=1
  exec timeout -k 10 "${FABULA_REPORT_E2E_TIMEOUT:-300}" bash "${BASH_SOURCE[0]}" "$@"
fi

say() { printf '== report e2e: %s\n' "$*"; }
fail() { printf 'report e2e FAILED: %s\n' "$*" >&2; exit 1; }
T0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/fabula-report-e2e.XXXXXX")"
BROWSER_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "$BROWSER_PID" ]; then
    # Started with setsid: its PID is its process group (node and chromium).
    kill -TERM -- "-$BROWSER_PID" 2>/dev/null
    sleep 1
    kill -KILL -- "-$BROWSER_PID" 2>/dev/null
  fi
  if [ "${FABULA_REPORT_E2E_KEEP:-}" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted or out of time"; exit 124' INT TERM

# ---------------------------------------------------------------- what it needs
CHROMIUM="${FABULA_E2E_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  say "apt-get install chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[ -x "$CHROMIUM" ] || fail "no chromium at $CHROMIUM"
STAMP="$HERE/node_modules/.fabula-report-e2e-installed"
want="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
  say "npm ci (playwright-core)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$STAMP"
fi
FABULA="${FABULA_E2E_FABULA:-}"
if [ -z "$FABULA" ]; then
  say "cargo build -p fabula-cli"
  (cd "$ROOT" && cargo build --locked -p fabula-cli)
  FABULA="${CARGO_TARGET_DIR:-$ROOT/target}/debug/fabula"
fi
[ -x "$FABULA" ] || fail "no fabula binary at $FABULA"

# ---------------------------------------------------------------- the store and the page
P="$TMP/project"
mkdir -p "$P"
cp "$ROOT/fabula.yaml" "$P/"
cp -r "$ROOT/dataset" "$ROOT/schema" "$P/"
say "fabula run on the shipped dataset, offline sim models ($(elapsed))"
(cd "$P" && "$FABULA" run --quiet) || fail "fabula run failed"
# A standard task gets the hostile texts; another the 1 MB generation; an agentic task
# shows a conversation.
HOSTILE_TASK=chasqui-road-back
BIG_TASK=day-zero-confrontation
AGENTIC_TASK=ferry-hidden-rules
node "$HERE/hostile.mjs" "$P/results" sim-writer-a "$HOSTILE_TASK" "$BIG_TASK" || fail "could not rewrite the records"
(cd "$P" && "$FABULA" report --out "$TMP/report.html") || fail "fabula report failed"
say "page weight: $(du -k "$TMP/report.html" | cut -f1) KB ($(elapsed))"

# ---------------------------------------------------------------- the browser
export FABULA_REPORT="$TMP/report.html"
export FABULA_REPORT_SCREENSHOT="$HERE/screenshot.png"
export FABULA_REPORT_FAILSHOT="$HERE/screenshot-failure.png"
export FABULA_REPORT_HOSTILE="$HOSTILE_TASK"
export FABULA_REPORT_BIG="$BIG_TASK"
export FABULA_REPORT_AGENTIC="$AGENTIC_TASK"
export FABULA_REPORT_MODELS="sim-writer-a,sim-writer-b"
export FABULA_E2E_CHROMIUM="$CHROMIUM"
setsid node "$HERE/run.mjs" &
BROWSER_PID=$!
rc=0
wait "$BROWSER_PID" || rc=$?
BROWSER_PID=""
[ "$rc" -eq 0 ] || fail "browser checks failed (exit $rc; failure screenshot: $FABULA_REPORT_FAILSHOT)"
say "passed in $(elapsed)"
