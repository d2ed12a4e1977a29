#!/bin/sh
# Dump the database named by the PG* environment variables into BACKUP_DIR, then delete the dumps older
# than BACKUP_KEEP_DAYS (dumps hold health data: keep them no longer than the retention period).
set -eu
BACKUP_DIR=${BACKUP_DIR:-/var/backups/orientation}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-35}
: "${PGDATABASE:?PGDATABASE must name the database}"
umask 077
mkdir -p "$BACKUP_DIR"
target="$BACKUP_DIR/orientation-$(date -u +%Y-%m-%dT%H%M%SZ).dump"
# Written under a temporary name and renamed once complete: a dump that failed halfway is never taken for one.
pg_dump --format=custom --no-owner --file="$target.partial"
mv "$target.partial" "$target"
find "$BACKUP_DIR" -maxdepth 1 -name 'orientation-*.dump' -mtime +"$BACKUP_KEEP_DAYS" -delete
find "$BACKUP_DIR" -maxdepth 1 -name 'orientation-*.dump.partial' -mmin +60 -delete
echo "$target"
