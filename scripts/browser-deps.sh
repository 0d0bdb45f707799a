#!/usr/bin/env bash
# Headless Chromium and chromedriver for tests/browser.rs (Debian packages `chromium`,
# `chromium-driver`), installed when missing. As root, or through sudo; otherwise it fails
# saying what to install: the browser test never skips.
set -euo pipefail

command -v chromedriver >/dev/null && exit 0

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "chromedriver is missing and this is not root (no sudo either): as root, run" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver" >&2
  exit 1
fi
command -v apt-get >/dev/null || {
  echo "chromedriver is missing and there is no apt-get: install Chromium and its chromedriver" >&2
  exit 1
}
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends chromium chromium-driver
command -v chromedriver >/dev/null || { echo "chromedriver still missing after apt-get" >&2; exit 1; }
