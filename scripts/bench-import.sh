#!/usr/bin/env bash
# scripts/bench-import.sh ARCHIVE: how long cordon import and cordon analyze
# take on another collector's archive (UAC, Cat-Scale), and their peak RSS,
# beside tar -xzf of the same archive (the yardstick: what an analyst does
# first by hand). Uses GNU time (/usr/bin/time -v). Prints one line each.
#
#   scripts/bench-import.sh /var/tmp/irtriage/out/uac-HOST-linux-TIMESTAMP.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHIVE=$(readlink -f "${1:?usage: scripts/bench-import.sh ARCHIVE}")
[ -x /usr/bin/time ] || { echo "bench-import: needs GNU time (apt-get install time)" >&2; exit 2; }
WORK=$(mktemp -d /var/tmp/cordon-bench-import.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
go build -o "$WORK/cordon" ./cmd/cordon
"$WORK/cordon" keygen -o "$WORK/k" --without-password >/dev/null

measure() { # NAME COMMAND...: wall seconds and peak RSS from GNU time
  local name=$1; shift
  /usr/bin/time -v -o "$WORK/time.$name" "$@" >"$WORK/out.$name" 2>&1 || true
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$WORK/time.$name")
  rss=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$WORK/time.$name")
  printf '%-22s wall %-10s peak RSS %5s MiB\n' "$name" "$wall" "$rss"
}

size=$(stat -c %s "$ARCHIVE")
members=$(tar -tzf "$ARCHIVE" | wc -l)
echo "archive: $(basename "$ARCHIVE"), $((size / 1048576)) MiB, $members members; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir "$WORK/x"
measure "tar -xzf" tar -xzf "$ARCHIVE" -C "$WORK/x"
echo "  extracted: $(du -sm "$WORK/x" | cut -f1) MiB"
rm -rf "$WORK/x"
measure "cordon import" "$WORK/cordon" import "$ARCHIVE" -o "$WORK/b.cordon" --key "$WORK/k.key"
echo "  bundle: $(( $(stat -c %s "$WORK/b.cordon") / 1048576 )) MiB; $(grep -E 'hash checks|lines of' "$WORK/out.cordon import" | tr -s ' ' | paste -sd';')"
measure "cordon analyze" "$WORK/cordon" analyze "$WORK/b.cordon" --case "$WORK/case"
grep -E "events, .* parser warnings" "$WORK/out.cordon analyze" | head -2 | sed 's/^/  /'
