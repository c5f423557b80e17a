#!/usr/bin/env bash
# Renders a `sift report` HTML page to a PNG with headless Chromium, to look at what a reader sees.
# Installs Debian's chromium when it is missing (as scripts/test.sh installs the tools the tests need).
# Usage: bench/render_report.sh REPORT.html OUT.png [WIDTHxHEIGHT]   (default 1280x4000)
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
report=$(realpath "$1")
out=$(realpath -m "$2")
size=${3:-1280x4000}
[ -f "$report" ] || { echo "error: $report: report not found" >&2; exit 1; }

if ! command -v chromium >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing chromium (Debian package) to render the report"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

mkdir -p "$(dirname "$out")"
# A fresh profile folder, so a running browser or an earlier crash cannot interfere.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$out" --window-size="${size/x/,}" "file://$report" 2>/dev/null
[ -s "$out" ] || { echo "error: chromium wrote no screenshot to $out" >&2; exit 1; }
echo "wrote $out"
