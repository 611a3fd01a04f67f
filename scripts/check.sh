#!/usr/bin/env bash
# The README's test command: installs missing Debian packages, configures,
# builds and runs the whole test suite.  The last line printed is
# "N passed, N failed, N skipped"; the exit status is non-zero on failure.
set -eu
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
./configure >/dev/null
make -j"$(nproc)" all >/dev/null
exec make --no-print-directory check
