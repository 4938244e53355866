#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with AddressSanitizer and UBSan
# (clang + libclang-rt-14-dev), replays the crash fixtures of
# test/fixtures/fuzz/<target>/ once, then fuzzes each target from the seeds
# fuzz/seeds.js cuts out of test/fixtures.
#   bash scripts/fuzz.sh [--seconds N | --runs N] [--max-len N] [--out DIR] [TARGET...]
# Default: 60 s per target, into build/fuzz (binaries, corpus, logs). Prints per target one line
#   fuzz: TARGET executions=N seconds=S exec_per_s=R crashes=0
# and exits 1 on any crash (the input is kept as OUT/crashes/TARGET-*:
# fix the decoder, then add the input to test/fixtures/fuzz/TARGET/).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60 runs="" max_len=8192 out=build/fuzz targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --max-len) max_len="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

# target -> the native sources it links (the decoder and what it calls)
declare -A SRCS=(
  [diag_replay]="native/diag_replay.c native/diag_parse.c native/batch.c"
  [diag_dump]="native/diag_dump.c native/diag_parse.c native/batch.c"
  [destroy]="native/destroy.c native/diag_parse.c native/batch.c"
  [events]="native/events.c native/comm_dict.c native/sock_table.c native/batch.c"
  [samples]="native/sampler.c native/iter_read.c native/comm_dict.c native/batch.c"
)
ALL=(diag_replay diag_dump destroy events samples)
[ "${#targets[@]}" -gt 0 ] || targets=("${ALL[@]}")
for t in "${targets[@]}"; do
  [ -n "${SRCS[$t]:-}" ] || { echo "fuzz: unknown target $t (one of: ${ALL[*]})" >&2; exit 2; }
done
command -v clang >/dev/null || { echo "fuzz: clang missing (bash scripts/bootstrap.sh)" >&2; exit 1; }

mkdir -p "$out/crashes"
# no eBPF skeleton on the include path: events.c and sampler.c build their
# decoders without the loaders, which the fuzz targets do not need
CFLAGS=(-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Inative)
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  clang "${CFLAGS[@]}" "fuzz/$t.c" ${SRCS[$t]} -o "$out/$t" || { echo "fuzz: cannot build $t" >&2; exit 1; }
done
rm -rf "$out/seeds"
node fuzz/seeds.js "$out/seeds"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
rc=0
for t in "${targets[@]}"; do
  # every crash found so far, once: they are fixed and stay fixed
  if compgen -G "test/fixtures/fuzz/$t/*" >/dev/null; then
    if ! "$out/$t" -runs=1 test/fixtures/fuzz/"$t"/* >"$out/$t.regress.log" 2>&1; then
      echo "fuzz: $t regression: a fixed crash is back (test/fixtures/fuzz/$t; log $out/$t.regress.log)"
      tail -30 "$out/$t.regress.log" >&2
      rc=1
      continue
    fi
  fi
  corpus="$out/corpus/$t"
  mkdir -p "$corpus"
  if [ -n "$runs" ]; then limit=(-runs="$runs"); else limit=(-max_total_time="$seconds"); fi
  start=$(date +%s.%N)
  set +e
  "$out/$t" "${limit[@]}" -max_len="$max_len" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$t-" "$corpus" "$out/seeds/$t" >"$out/$t.log" 2>&1
  frc=$?
  set -e
  end=$(date +%s.%N)
  n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -1)
  crashes=0
  [ "$frc" -eq 0 ] || crashes=1
  awk -v t="$t" -v n="${n:-0}" -v s="$start" -v e="$end" -v c="$crashes" \
    'BEGIN { d = e - s; printf "fuzz: %s executions=%d seconds=%.1f exec_per_s=%.0f crashes=%d\n", t, n, d, n / d, c }'
  if [ "$crashes" -ne 0 ]; then
    grep -E 'ERROR|runtime error|invariant broken|Test unit written' "$out/$t.log" | head -5 >&2
    rc=1
  fi
done
exit "$rc"
