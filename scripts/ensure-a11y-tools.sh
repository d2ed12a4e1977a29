#!/bin/sh
# Install the browser tests' outside checkers when missing: axe-core (injected into Chromium) and the Nu HTML
# Checker (vnu.jar, from the npm package vnu-jar), into .tools/ (ignored by git), and a Java runtime for vnu.
set -e
TOOLS=${ORIENTATION_TOOLS:-$(dirname "$0")/../.tools}
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
apt_install() {
    echo "Installing $* for the browser tests…" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
command -v npm >/dev/null 2>&1 || apt_install npm
# vnu.jar needs Java 11 or later; Debian's default-jre-headless (17 on bookworm) is enough.
command -v java >/dev/null 2>&1 || apt_install default-jre-headless
if [ ! -f "$TOOLS/node_modules/axe-core/axe.min.js" ] || [ ! -f "$TOOLS/node_modules/vnu-jar/build/dist/vnu.jar" ]; then
    mkdir -p "$TOOLS"
    # --ignore-scripts: vnu-jar's postinstall would fetch a Java runtime from the internet; we use Debian's.
    npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --ignore-scripts axe-core@4 vnu-jar >&2
fi
