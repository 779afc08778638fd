#!/usr/bin/env bash
# End-to-end test of fabula-lsp in headless Neovim, with Neovim's builtin LSP client.
#
#   bash editors/neovim/e2e/run.sh
#
# Self-contained for a clean CI machine (run as root there, or with sudo): installs
# Debian's neovim if there is no nvim, builds fabula-lsp and fabula, makes a temporary
# workspace with one broken task and one task scored by `fabula run` on the offline sim
# models, then runs test.lua in `nvim --headless --clean`: diagnostics on the broken task
# (codes, lines, columns, an edit that clears one), hover on the scored task's id (each
# model's score, as `fabula leaderboard` has it), shutdown (exit code 0), and a server
# still running when Neovim quits (it must end too). Prints `neovim e2e: N passed, N
# failed`. Every process it starts is ended by PID (process group) on exit. Bounded in
# time: FABULA_NVIM_E2E_TIMEOUT seconds in all (default 600), of which Neovim gets
# FABULA_NVIM_E2E_NVIM_TIMEOUT (120), each wait for the server FABULA_NVIM_STEP_MS (30000).
#
# Environment (all optional):
#   FABULA_E2E_LSP        use this fabula-lsp binary (skips cargo build of fabula-lsp)
#   FABULA_E2E_FABULA     use this fabula binary (skips cargo build of fabula-cli)
#   FABULA_E2E_KEEP=1     keep the temporary folder (workspace, logs) for inspection
#   FABULA_NVIM           the nvim binary (default: nvim on PATH)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"

# Re-run ourselves under a hard bound on the whole run. `timeout` sends TERM, which the
# trap below turns into a cleanup; KILL follows 20 s later if that hangs.
if [ -z "${FABULA_NVIM_E2E_INNER:-}" ]; then
  export FABULA_NVIM_E2E_INNER=1
  exec timeout -k 20 "${FABULA_NVIM_E2E_TIMEOUT:-600}" bash "${BASH_SOURCE[0]}" "$@"
fi

say() { printf '== neovim e2e: %s\n' "$*"; }
fail() { printf 'neovim e2e FAILED: %s\n' "$*" >&2; exit 1; }
T0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/fabula-nvim-e2e.XXXXXX")"
TMP="$(cd "$TMP" && pwd -P)" # the server reports real paths; so must the buffers be
PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e # a failing look-up below must not cut the cleanup short
  for pid in "${PIDS[@]}"; do
    # nvim is started with setsid, so its PID is its process group, fabula-lsp included.
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
    [ -s "$TMP/nvim.out" ] && { echo "--- nvim stdout/stderr (tail)"; tail -n 40 "$TMP/nvim.out"; echo; }
    find "$TMP/xdg" -name 'lsp.log' 2>/dev/null |
      while read -r f; do echo "--- ${f#"$TMP"/} (tail)"; tail -n 60 "$f" | cut -c1-400; done
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

# ---------------------------------------------------------------- neovim
NVIM="${FABULA_NVIM:-}"
if [ -z "$NVIM" ]; then
  if ! command -v nvim >/dev/null; then
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null || fail "nvim is missing and installing it needs root (or sudo)"
      SUDO=(sudo)
    fi
    say "apt-get install neovim"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends neovim >/dev/null
  fi
  NVIM="$(command -v nvim)" || fail "no nvim after installing neovim"
fi
nvim_version="$("$NVIM" --version | head -n1)"
# vim.diagnostic and vim.json arrived in 0.6 and 0.7; Debian bookworm ships 0.7.2.
"$NVIM" --headless --clean -c 'lua if vim.diagnostic == nil or vim.json == nil then vim.cmd("cquit 3") end' -c 'qall!' </dev/null ||
  fail "$nvim_version lacks vim.diagnostic or vim.json: Neovim 0.7 or newer is needed"

# ---------------------------------------------------------------- fabula-lsp and fabula
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
LSP="${FABULA_E2E_LSP:-}"
FABULA="${FABULA_E2E_FABULA:-}"
pkgs=()
if [ -z "$LSP" ]; then pkgs+=(-p fabula-lsp); LSP="$TARGET/debug/fabula-lsp"; fi
if [ -z "$FABULA" ]; then pkgs+=(-p fabula-cli); FABULA="$TARGET/debug/fabula"; fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  say "cargo build ${pkgs[*]}"
  (cd "$ROOT" && cargo build --locked "${pkgs[@]}")
fi
[ -x "$LSP" ] || fail "no fabula-lsp binary at $LSP"
[ -x "$FABULA" ] || fail "no fabula binary at $FABULA"
LSP="$(cd "$(dirname "$LSP")" && pwd -P)/$(basename "$LSP")"
say "$nvim_version; server: $("$LSP" --version) ($(elapsed))"

# ---------------------------------------------------------------- the workspace
# flood-year-climax (from dataset/) is run on the offline sim models, which writes
# results/. matoi-broken is written here with two misspelt beats: `climaks` on an ASCII
# line, `denoumen` after multi-byte text (ō, —, a 4-byte 𠮷, 野) on a flow-mapping
# line, so its columns differ in bytes, UTF-16 and characters.
WS="$TMP/workspace"
TASKS="$WS/dataset/tasks/beat_interpolation"
SCORED_ID=flood-year-climax
mkdir -p "$TASKS"
cp "$ROOT/fabula.yaml" "$WS/"
cp -r "$ROOT/dataset/theories" "$WS/dataset/"
cp "$ROOT/dataset/slop.yaml" "$WS/dataset/"
[ -d "$ROOT/schema" ] && cp -r "$ROOT/schema" "$WS/"
cp "$ROOT/dataset/tasks/beat_interpolation/$SCORED_ID.yaml" "$TASKS/"
cat > "$TASKS/matoi-broken.yaml" <<'EOF'
# yaml-language-server: $schema=../../../schema/task.schema.json
id: matoi-broken
type: beat_interpolation
title: The standard on the wrong roof
theory: freytag
words: { min: 300, max: 600 }
premise: >-
  Edo, late in the eighteenth century. Sakichi, matoi-bearer of a town fire brigade,
  took five gold ryō from the rice wholesaler Sagamiya to spare his shop from any
  firebreak. Tonight the wind comes from the north.
before:
  beat: climaks
  text: |
    Sakichi drove the matoi into the ridge of Sagamiya's roof, and the hooks went in.
target: falling_action
after: { text: "Tōbei took the matoi from him — at the 𠮷野 tea house, without a word.", beat: denoumen }
constraints:
  must_include:
    - the five gold ryō returned or confessed
  must_not_include:
    - Sakichi forgiven by the brigade
  tone: quiet, ashamed, exact
  ending: Sakichi works as a carpenter on the rebuilt lane.
EOF
BROKEN_REL=dataset/tasks/beat_interpolation/matoi-broken.yaml

(cd "$WS" && "$FABULA" run --task "$SCORED_ID" --quiet) || fail "fabula run --task $SCORED_ID failed"
ls "$WS"/results/*/"$SCORED_ID"/*.json >/dev/null 2>&1 || fail "fabula run wrote no results for $SCORED_ID"
(cd "$WS" && "$FABULA" leaderboard --format json > "$TMP/leaderboard.json") || fail "fabula leaderboard failed"
grep -q '"model"' "$TMP/leaderboard.json" || fail "fabula leaderboard lists no model"

# `fabula check` must report exactly these two problems, on the lines of the two typos.
check_out="$( (cd "$WS" && "$FABULA" check --format github) 2>&1)" || true # exit 1: findings
line_of() { grep -n -F "$1" "$TASKS/matoi-broken.yaml" | cut -d: -f1; }
want_check="$(printf '%s\n' \
  "$BROKEN_REL:$(line_of 'beat: climaks'):unknown-beat" \
  "$BROKEN_REL:$(line_of 'beat: denoumen'):unknown-beat")"
got_check="$(sed -n 's/^::[a-z]* file=\([^,]*\),line=\([0-9]*\),.*title=\([a-z0-9-]*\)::.*/\1:\2:\3/p' <<<"$check_out")"
[ "$got_check" = "$want_check" ] ||
  { echo "$check_out"; fail "fabula check does not report exactly: $(tr '\n' ' ' <<<"$want_check")"; }
say "workspace ready: results for $SCORED_ID, fabula check agrees on the broken task ($(elapsed))"

# ---------------------------------------------------------------- neovim
RESULT="$TMP/result.txt"
: > "$RESULT"
mkdir -p "$TMP/xdg/config" "$TMP/xdg/data" "$TMP/xdg/state" "$TMP/xdg/cache"
say "nvim --headless --clean -c 'luafile test.lua'"
# setsid: nvim and the servers it starts form one process group, ended by cleanup.
XDG_CONFIG_HOME="$TMP/xdg/config" XDG_DATA_HOME="$TMP/xdg/data" \
XDG_STATE_HOME="$TMP/xdg/state" XDG_CACHE_HOME="$TMP/xdg/cache" \
FABULA_LOG=debug \
FABULA_NVIM_LSP="$LSP" FABULA_NVIM_WORKSPACE="$WS" \
FABULA_NVIM_BROKEN="$BROKEN_REL" \
FABULA_NVIM_EXPECT='unknown-beat=climaks;unknown-beat=denoumen' \
FABULA_NVIM_FIX='denoumen=denouement' \
FABULA_NVIM_SCORED="dataset/tasks/beat_interpolation/$SCORED_ID.yaml" \
FABULA_NVIM_LEADERBOARD="$TMP/leaderboard.json" \
FABULA_NVIM_RESULT="$RESULT" \
FABULA_NVIM_STEP_MS="${FABULA_NVIM_STEP_MS:-30000}" \
  setsid timeout -k 5 "${FABULA_NVIM_E2E_NVIM_TIMEOUT:-120}" \
  "$NVIM" --headless --clean -c "luafile $HERE/test.lua" </dev/null > "$TMP/nvim.out" 2>&1 &
NVIM_PID=$!
PIDS+=("$NVIM_PID")
nvim_rc=0
wait "$NVIM_PID" || nvim_rc=$?
cat "$RESULT"

# ---------------------------------------------------------------- after Neovim
passed="$(grep -c '^PASS ' "$RESULT" || true)"
failed="$(grep -c '^FAIL ' "$RESULT" || true)"
check_ok() { passed=$((passed + 1)); echo "PASS $*"; }
check_failed() { failed=$((failed + 1)); echo "FAIL $*"; }

if [ "$nvim_rc" -eq 124 ] || [ "$nvim_rc" -eq 137 ]; then
  check_failed "nvim: did not finish within ${FABULA_NVIM_E2E_NVIM_TIMEOUT:-120} s (timeout, exit $nvim_rc)"
elif ! grep -q '^lua: [0-9]* passed, [0-9]* failed$' "$RESULT"; then
  check_failed "nvim: test.lua did not run to its end (exit $nvim_rc)"
elif [ "$nvim_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  check_failed "nvim: exit $nvim_rc although every check in test.lua passed"
fi

# The server that was still running when Neovim quit must be gone with it.
quit_pid="$(sed -n 's/^QUIT_PID \([0-9]*\)$/\1/p' "$RESULT")"
if [ -n "$quit_pid" ]; then
  for _ in $(seq 1 20); do kill -0 "$quit_pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$quit_pid" 2>/dev/null; then
    check_failed "quit: fabula-lsp (pid $quit_pid) is still running 5 s after Neovim quit"
  else
    check_ok "quit: the running fabula-lsp ended when Neovim quit (pid $quit_pid)"
  fi
elif grep -q '^PASS quit:' "$RESULT"; then
  check_failed "quit: test.lua did not report the server's pid"
fi
# Nothing from Neovim's process group may outlive it.
if kill -0 -- "-$NVIM_PID" 2>/dev/null; then
  check_failed "quit: processes of Neovim's group are left: $(ps -o pid=,args= -g "$NVIM_PID" 2>/dev/null | tr '\n' ';')"
fi

# The server's stderr lands in Neovim's LSP log: no panic may be there.
LSP_LOG="$(find "$TMP/xdg" -name lsp.log -print -quit)"
if [ -z "$LSP_LOG" ]; then
  check_failed "log: Neovim wrote no lsp.log"
elif grep -q 'panicked' "$LSP_LOG"; then
  check_failed "log: fabula-lsp panicked: $(grep -m1 'panicked' "$LSP_LOG" | cut -c1-300)"
else
  check_ok "log: no panic in the server's stderr"
fi

echo "neovim e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || fail "$failed check(s) failed"
grep -q '^NOTE ' "$RESULT" && say "see the NOTE lines above"
say "passed in $(elapsed) ($nvim_version)"
