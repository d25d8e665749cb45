#!/usr/bin/env bash
# Builds the native core test program (test/native: handle, thread pool,
# engine, io and platform driven without Node) plain, with ThreadSanitizer,
# with AddressSanitizer + UndefinedBehaviorSanitizer, and plain with
# -DKTS_PORTABLE (the macOS code paths on Linux), and runs each.
# Installs nothing: when a sanitizer runtime is missing it says which Debian
# package provides it and fails.
#
# Environment:
#   KTS_SANITIZER_BUDGET_MS  time budget per stress scenario (default 3000)
#   KTS_SEED                 seed for every variant (default: the clock; printed)
#   KTS_SANITIZER_VARIANTS   subset of "plain tsan asan portable" (default: all four)
#   KTS_WERROR=1             compile with -Werror
set -euo pipefail
cd "$(dirname "$0")/.."

budget_ms=${KTS_SANITIZER_BUDGET_MS:-3000}
seed=${KTS_SEED:-$(date +%s%N | cut -c1-18)}
variants=${KTS_SANITIZER_VARIANTS:-plain tsan asan portable}
cxx=${CXX:-g++}
command -v "$cxx" >/dev/null || { echo "sanitizers: $cxx not found" >&2; exit 1; }

# Each sanitizer must link: a missing runtime fails here with its package.
check_runtime() {
  local flag=$1 packages=$2 tmp
  tmp=$(mktemp -d)
  if ! echo 'int main() { return 0; }' | "$cxx" -x c++ - -fsanitize="$flag" -o "$tmp/probe" 2>"$tmp/err"; then
    echo "sanitizers: cannot link with -fsanitize=$flag (runtime missing)." >&2
    echo "  Debian 12 / g++ 12: apt-get install $packages" >&2
    sed 's/^/  /' "$tmp/err" >&2
    rm -rf "$tmp"
    exit 1
  fi
  rm -rf "$tmp"
}
for v in $variants; do
  case $v in
    tsan) check_runtime thread libtsan2 ;;
    asan) check_runtime address,undefined "libasan8 libubsan1" ;;
  esac
done

targets=()
for v in $variants; do targets+=("$v"); done
# KTS_WERROR=1 (CI) makes warnings errors here too, as in the addon build.
extra=${EXTRA_CXXFLAGS:-}
[ "${KTS_WERROR:-}" = 1 ] && extra="$extra -Werror"
make -s -j2 -C test/native EXTRA_CXXFLAGS="$extra" "${targets[@]}"

bin=build/native-test
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:check_initialization_order=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

run() {
  local name=$1 exe=$2 log
  log=$(mktemp)
  echo "== $name"
  set +e
  "$exe" --seed "$seed" --budget-ms "$budget_ms" >"$log" 2>&1
  local rc=$?
  # TSan cannot map its shadow memory under high ASLR entropy (some newer
  # kernels): run it again with address randomization off for this process.
  if [ "$rc" -ne 0 ] && grep -q 'unexpected memory mapping' "$log"; then
    echo "   (tsan: retrying with ASLR off: setarch -R)"
    setarch "$(uname -m)" -R "$exe" --seed "$seed" --budget-ms "$budget_ms" >"$log" 2>&1
    rc=$?
  fi
  set -e
  cat "$log"
  rm -f "$log"
  if [ "$rc" -ne 0 ]; then
    echo "sanitizers: $name FAILED (exit $rc, seed $seed)" >&2
    return 1
  fi
}

status=0
for v in $variants; do
  case $v in
    plain) run plain "$bin/kts_native_test" || status=1 ;;
    tsan) run "ThreadSanitizer" "$bin/kts_native_test_tsan" || status=1 ;;
    asan) run "AddressSanitizer+UBSan" "$bin/kts_native_test_asan" || status=1 ;;
    portable) run "portable paths (KTS_PORTABLE)" "$bin/kts_native_test_portable" || status=1 ;;
    *) echo "sanitizers: unknown variant $v" >&2; status=1 ;;
  esac
done
[ "$status" -eq 0 ] && echo "sanitizers: all variants passed (seed $seed)"
exit "$status"
