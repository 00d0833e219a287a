#!/usr/bin/env bash
# Retakes the console's screenshots (docs/console/*.png) with Playwright and Debian's chromium:
# the ConsoleScreenshots test walks the README's five-minute path in a real browser.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v chromium >/dev/null 2>&1 || { s=""; [ "$(id -u)" -ne 0 ] && s=sudo; $s apt-get install -y -qq chromium >/dev/null; }
dotnet build -c Release tests/AuthServer.Tests >/dev/null
AUTHSERVER_SCREENSHOTS="$(pwd)/docs/console" dotnet test -c Release --no-build --filter "FullyQualifiedName~ConsoleScreenshots"
