#!/usr/bin/env bash
# Installs ripgrep (Debian package `ripgrep`), the yardstick of `npm run bench:secrets`. Does nothing when present.
set -euo pipefail
if command -v rg >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "[bench] installing ripgrep"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ripgrep >/dev/null
