#!/usr/bin/env bash
# The shard -> merge -> leaderboard path of the Kubernetes and GitHub Actions recipes, run
# on this machine: the shipped project on the offline `sim` models, split into 4 shards
# run as 4 concurrent processes (`fabula run --shard auto`, the index and count from
# FABULA_SHARD_INDEX / FABULA_SHARD_COUNT as a CI matrix sets them), their results/
# joined by `fabula merge`, and the leaderboard compared with a single-process run's in
# every format: it must be identical, and so must the set of record files.
#
# Usage: bash deploy/test/shards.sh   (FABULA=path/to/fabula to test another binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

if [ -z "${FABULA:-}" ]; then
  cargo build -p fabula-cli --locked --quiet
  FABULA="$repo/target/debug/fabula"
fi
shards=4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A fresh copy of the project: fabula.yaml and dataset/, no results.
project() {
  mkdir -p "$1"
  cp -r "$repo/fabula.yaml" "$repo/dataset" "$1/"
}

records() {
  (cd "$1" && find . -name '*.json' \( -name 'gen-*' -o -name 'eval-*' \) | sort)
}

echo "single process:"
project "$work/single"
(cd "$work/single" && "$FABULA" run --quiet)
echo "  $(records "$work/single/results" | wc -l) records"

echo "$shards shards as $shards processes:"
pids=()
for ((i = 0; i < shards; i++)); do
  project "$work/shard-$i"
  (cd "$work/shard-$i" && FABULA_SHARD_INDEX=$i FABULA_SHARD_COUNT=$shards exec "$FABULA" run --quiet --shard auto) &
  pids+=("$!")
done
for pid in "${pids[@]}"; do
  wait "$pid" # under `set -e`, a failed shard fails the test
done
for ((i = 0; i < shards; i++)); do
  n=$(records "$work/shard-$i/results" | wc -l)
  echo "  shard $i: $n records"
  if [ "$n" -eq 0 ]; then
    echo "FAIL: shard $i did no work: the test is not testing" >&2
    exit 1
  fi
done

echo "merge:"
project "$work/merged"
(cd "$work/merged" && "$FABULA" merge ../shard-*/results | sed 's/^/  /')

failed=0
if ! diff <(records "$work/single/results") <(records "$work/merged/results") >"$work/records.diff"; then
  echo "FAIL: the merged store's records differ from the single run's:" >&2
  head -20 "$work/records.diff" >&2
  failed=1
fi
for format in table markdown json csv; do
  (cd "$work/single" && "$FABULA" leaderboard --format "$format") >"$work/single.$format"
  (cd "$work/merged" && "$FABULA" leaderboard --format "$format") >"$work/merged.$format"
  if diff -u "$work/single.$format" "$work/merged.$format" >"$work/board.diff"; then
    echo "leaderboard ($format): identical ($(wc -l <"$work/single.$format") lines)"
  else
    echo "FAIL: leaderboard ($format) differs between the single run and the merged shards:" >&2
    head -40 "$work/board.diff" >&2
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "shards.sh: 1 passed, 0 failed"
