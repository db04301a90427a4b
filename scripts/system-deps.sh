#!/usr/bin/env bash
# System packages the optional parts need: LibreOffice (Writer for --pdf, Calc for the workbook
# conversion test) and poppler for page previews.
# Idempotent; needs root (or sudo). Safe to skip: grantflow works without them.
set -euo pipefail
need=()
command -v soffice >/dev/null || need+=(libreoffice-writer-nogui fonts-dejavu fonts-crosextra-carlito)
# Calc (a test converts a workbook with it): soffice alone may be Writer only.
dpkg -s libreoffice-calc-nogui >/dev/null 2>&1 || dpkg -s libreoffice-calc >/dev/null 2>&1 \
  || need+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
