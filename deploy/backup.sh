#!/bin/bash
# Backup, run by honestcount-backup.timer: the database through pgBackRest (encrypted
# repository off this host; WAL is pushed continuously by archive_command), the photos by
# copying new objects to an off-site bucket with rclone. Settings in /etc/honestcount/backup.env:
#   PHOTOS_FROM=objects:honestcount-photos/photos   PHOTOS_TO=offsite:honestcount-photos-copy
set -euo pipefail
kind=diff
# A full backup on Sundays' first run, differentials otherwise.
if [ "$(date -u +%u%H)" = "700" ]; then kind=full; fi
pgbackrest --stanza=honestcount --type="$kind" backup
pgbackrest --stanza=honestcount check
# Photos are content-addressed and never rewritten: copying (not syncing) never deletes off site.
# Uploads waiting for the worker (incoming/) are not copied: they are sealed, short-lived, and
# a copy off site would outlive their deletion here.
rclone copy --immutable --checksum --transfers 16 --exclude "incoming/**" \
  "$PHOTOS_FROM" "$PHOTOS_TO"
