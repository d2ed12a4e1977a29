#!/bin/sh
# Install Debian's nginx for the deployment tests when it is missing (the tests start it themselves, on a
# free loopback port with a configuration of their own: the system's nginx service is neither used nor started).
set -e
NGINX=${NGINX:-/usr/sbin/nginx}
if [ -x "$NGINX" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
echo "Installing Debian's nginx for the deployment tests…" >&2
$SUDO apt-get update -qq
# policy-rc.d may forbid starting services (containers): the package installs all the same.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx openssl >/dev/null
