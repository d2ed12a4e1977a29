#!/bin/sh
# Print the nginx site of Orientation for one server name: deploy/render-nginx-site.sh ligne.cpts-exemple.fr
# Every other value has a production default and can be changed through the environment (the tests do).
set -eu
SERVER_NAME=${1:?usage: $0 SERVER_NAME}
HERE=$(dirname "$0")
LISTEN_HTTP=${LISTEN_HTTP:-80}
LISTEN_HTTPS=${LISTEN_HTTPS:-443}
UPSTREAM=${UPSTREAM:-127.0.0.1:8000}
TLS_CERTIFICATE=${TLS_CERTIFICATE:-/etc/letsencrypt/live/$SERVER_NAME/fullchain.pem}
TLS_CERTIFICATE_KEY=${TLS_CERTIFICATE_KEY:-/etc/letsencrypt/live/$SERVER_NAME/privkey.pem}
LOG_DIR=${LOG_DIR:-/var/log/nginx}
sed -e "s|@SERVER_NAME@|$SERVER_NAME|g" \
    -e "s|@LISTEN_HTTP@|$LISTEN_HTTP|g" \
    -e "s|@LISTEN_HTTPS@|$LISTEN_HTTPS|g" \
    -e "s|@UPSTREAM@|$UPSTREAM|g" \
    -e "s|@TLS_CERTIFICATE@|$TLS_CERTIFICATE|g" \
    -e "s|@TLS_CERTIFICATE_KEY@|$TLS_CERTIFICATE_KEY|g" \
    -e "s|@LOG_DIR@|$LOG_DIR|g" \
    "$HERE/nginx/orientation.conf.in"
