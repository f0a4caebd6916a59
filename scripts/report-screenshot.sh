#!/usr/bin/env bash
# Renders a degen report page in headless Chromium (Debian's chromium
# package: apt-get install -y chromium) and writes a PNG screenshot.
#
#   scripts/report-screenshot.sh report.html out.png [WIDTHxHEIGHT [SCALE]]
#
# WIDTHxHEIGHT is the window in CSS pixels (default 1200x1600); SCALE, the
# device scale factor (default 1), shrinks the PNG (0.8: 80 % of the pixels
# across and down) to fit more of the page in a small file.
#
# The browser runs with networking off as far as its flags allow and a
# throwaway profile, so the page is checked as a reader would see it with
# nothing fetched.
set -euo pipefail
page=${1:?usage: report-screenshot.sh page.html out.png [WxH]}
out=${2:?usage: report-screenshot.sh page.html out.png [WxH]}
size=${3:-1200x1600}
scale=${4:-1}
chromium=${CHROMIUM:-/usr/bin/chromium}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
outabs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--hide-scrollbars --force-device-scale-factor="$scale" --user-data-dir="$profile" \
	--screenshot="$outabs" --window-size="${size/x/,}" "file://$abs" 2>/dev/null
test -s "$outabs"
echo "wrote $out"
