#!/usr/bin/env bash
# Builds the whole addon with AddressSanitizer + UndefinedBehaviorSanitizer
# (node-gyp, in a scratch copy of the package so build/ is left alone) and
# runs a subset of the behaviour suite against it on both engines: aborts,
# close races, deadlines, Worker churn. Node itself is not instrumented, so
# the ASan runtime is preloaded; leak detection is off (Node's own
# allocations at exit are not ours). Any sanitizer report fails the run.
# Needs dist/ compiled (npm run pretest) and node_modules installed.
# Usage: scripts/asan-addon.sh [vitest test files...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cxx=${CXX:-g++}

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(test/abort.test.ts test/close-race.test.ts test/deadline.test.ts test/lifetime.test.ts)

asan=$("$cxx" -print-file-name=libasan.so)
ubsan=$("$cxx" -print-file-name=libubsan.so)
for lib in "$asan" "$ubsan"; do
  [ -e "$lib" ] || { echo "asan-addon: $lib not found (Debian: apt-get install libasan8 libubsan1)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r package.json binding.gyp native dist test vitest.config.mts tsconfig.json tsconfig.test.json "$work"/
ln -s "$root/node_modules" "$work/node_modules"
cd "$work"

flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
echo "asan-addon: building the addon with $flags"
if ! CFLAGS="$flags" CXXFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" \
  npx node-gyp rebuild --jobs 2 >build.log 2>&1; then
  cat build.log >&2
  exit 1
fi
grep -q __asan_init build/Release/kernel_timeout_socket.node || { echo "asan-addon: not instrumented" >&2; exit 1; }

echo "asan-addon: running ${tests[*]}"
status=0
NO_COLOR=1 LD_PRELOAD="$asan $ubsan" \
  ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0:abort_on_error=1:${ASAN_OPTIONS:-}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}" \
  npx vitest run "${tests[@]}" >vitest.log 2>&1 || status=$?
cat vitest.log
if grep -qE 'ERROR: AddressSanitizer|runtime error:' vitest.log; then
  echo "asan-addon: sanitizer report above" >&2
  exit 1
fi
[ "$status" = 0 ] || { echo "asan-addon: tests failed ($status)" >&2; exit "$status"; }
echo "asan-addon: passed under ASan+UBSan"
