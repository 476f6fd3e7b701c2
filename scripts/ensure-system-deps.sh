#!/usr/bin/env bash
# Installs the Debian packages the suite and the demo need, when they are missing.
# Idempotent and quiet when everything is there; needs root (or sudo) only to install.
set -euo pipefail

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
for extra in "$@"; do
  case "$extra" in
    postgresql) command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql) ;;
    chromium) command -v chromium >/dev/null 2>&1 || need+=(chromium) ;;
    # Chinese glyphs for headless screenshots and rendered reports (not tofu boxes).
    cjk-font) fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk fontconfig) ;;
    *) echo "ensure-system-deps: unknown extra '$extra'" >&2; exit 2 ;;
  esac
done

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${need[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
