#!/bin/sh
# Installs the Debian packages the browser and voice tests need: Chromium, CJK fonts, espeak-ng.
# Runs apt-get only when something is missing and we are root; otherwise says what to install.
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -d /usr/share/fonts/opentype/noto ] || missing="$missing fonts-noto-cjk"
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
    echo "missing system packages:$missing (run: sudo apt-get install$missing)" >&2
    echo "browser tests will be skipped until they are installed" >&2
fi
