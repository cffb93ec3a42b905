#!/usr/bin/env bash
# Installs the Debian packages the tests need (git for the real client and http-backend,
# build tools for native addons, chromium for the web UI's browser tests, openssl for test
# certificates, gh for the GitHub API proxy, xz, zstd, bzip2, ar and dpkg-deb for archive fixtures). Safe to run
# again: does nothing when all are present.
set -euo pipefail
need=()
command -v git >/dev/null 2>&1 || need+=(git)
command -v make >/dev/null 2>&1 || need+=(make)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The web UI tests drive Debian's chromium through playwright-core (GITGATE_CHROMIUM overrides the path).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The secret scan's tests compress their fixtures with the real xz, zstd and bzip2.
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v bzip2 >/dev/null 2>&1 || need+=(bzip2)
# ... and make ar archives and Debian packages with the real ar and dpkg-deb.
command -v ar >/dev/null 2>&1 || need+=(binutils)
command -v dpkg-deb >/dev/null 2>&1 || need+=(dpkg)
# The GitHub API proxy is tested with the real GitHub CLI (gh api against the gateway).
command -v gh >/dev/null 2>&1 || need+=(gh)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "[ci] installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
