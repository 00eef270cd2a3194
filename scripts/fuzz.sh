#!/usr/bin/env bash
# Runs Halyard's cargo-fuzz targets (fuzz/fuzz_targets) one after another.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [--runs N] [--update-corpus] [TARGET...]
#
# SECONDS_PER_TARGET (default 60) bounds each target's run; --runs N stops
# each after N executions instead. With no TARGET, every target runs.
# --update-corpus merges what the run found into fuzz/corpus/<target> and
# minimises it (cargo fuzz cmin); without it the repository is untouched.
# A crash, a panic, a 500 from the request target, a timeout or running
# past the memory limit stops the script with the input saved under
# fuzz/artifacts/<target>/ (reproduce: cargo +nightly fuzz run <target> <file>).
#
# FUZZ_SANITIZER=address builds with AddressSanitizer (about half the
# speed); the default, none, still catches panics, overflowed stacks,
# integer overflow (debug assertions are on) and memory blow-ups.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
runs=""
update_corpus=false
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --update-corpus) update_corpus=true; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    [0-9]*) seconds="$1"; shift ;;
    *) targets+=("$1"); shift ;;
  esac
done

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

sanitizer="${FUZZ_SANITIZER:-none}"
fuzz=(cargo +nightly fuzz)
build_flags=(--sanitizer "$sanitizer" --debug-assertions)
cd fuzz
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <("${fuzz[@]}" list)
fi

echo "== building fuzz targets (nightly, release, sanitizer: $sanitizer)"
start=$(date +%s)
"${fuzz[@]}" build "${build_flags[@]}"
echo "build: $(( $(date +%s) - start )) s"

if [ -n "$runs" ]; then
  limit=(-runs="$runs")
else
  limit=(-max_total_time="$seconds")
fi

# New inputs go to a scratch corpus; the committed one is read as seeds.
scratch=target/fuzz-run
summary=()
for target in "${targets[@]}"; do
  echo "== fuzzing $target (${runs:+$runs runs}${runs:-$seconds s})"
  rm -rf "$scratch/$target" "$scratch/tmp"
  mkdir -p "$scratch/$target" "$scratch/tmp" "corpus/$target"
  dict=()
  if [ -f "dicts/$target.dict" ]; then
    dict=(-dict="dicts/$target.dict")
  fi
  log="$scratch/$target.log"
  # The request target's engine keeps its data in TMPDIR.
  set +e
  TMPDIR="$PWD/$scratch/tmp" "${fuzz[@]}" run "${build_flags[@]}" "$target" "$scratch/$target" "corpus/$target" -- \
    "${limit[@]}" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 "${dict[@]}" 2>&1 | tee "$log" \
    | grep -E --line-buffered '^(#[0-9]+.*(pulse|DONE)|==|SUMMARY|thread|Done)'
  status=${PIPESTATUS[0]}
  set -e
  rm -rf "$scratch/tmp"
  if [ "$status" -ne 0 ]; then
    echo "!! $target failed (exit $status); full log: fuzz/$log"
    grep -E 'panicked|ERROR|SUMMARY|artifact' "$log" | head -20 || true
    exit 1
  fi
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  peak_rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  summary+=("$target: $executions executions, $per_second/s, peak RSS $peak_rss MB")
  if $update_corpus; then
    "${fuzz[@]}" run "${build_flags[@]}" "$target" "corpus/$target" "$scratch/$target" -- -merge=1 >/dev/null 2>&1
    "${fuzz[@]}" cmin "${build_flags[@]}" "$target" "corpus/$target" >/dev/null 2>&1
    echo "corpus/$target: $(ls "corpus/$target" | wc -l) inputs, $(du -sh "corpus/$target" | cut -f1)"
  fi
done

echo "== fuzzing done, no crashes"
printf '%s\n' "${summary[@]}"
