#!/bin/bash
# importer/testdata/scene.sh: stage a small scene and run a collector in it.
#
# Run as root, as PID 1 of new PID and mount namespaces, from the
# collector's own directory:
#   unshare --pid --fork --mount-proc --mount scene.sh WORK EXE [--small] -- COLLECTOR ARGS...
#
# The scene, seen only inside the namespaces (the host is left as it was):
#   - /var/log is WORK/varlog: an auth.log with 12 failed SSH logins from
#     203.0.113.7, then its successful one;
#   - a PostgreSQL 15 cluster in WORK/pg, run by the non-root user postgres,
#     on a UNIX socket only, logging every statement to
#     /var/log/postgresql/postgresql-15-main.log;
#   - through it, COPY ... TO PROGRAM copies /usr/bin/sleep to /tmp/EXE,
#     starts it and deletes it: a process running from a deleted executable
#     under /tmp, as in the incident (its PostgreSQL session is ended);
#   - /tmp, /root, /home, /usr/local, /work are empty file systems, so that
#     the collectors' walks of / stay small (only the scene is there); with
#     --small, once PostgreSQL runs, also /usr/share, /usr/include,
#     /usr/src, /var/cache, /opt and every directory of /usr/lib holding
#     more than 2,000 files but the shared libraries, PostgreSQL's and
#     systemd's (for Cat-Scale, which walks and hashes all of /).
# When the collector is done, the script (PID 1) exits and the kernel ends
# every process of the scene.
set -euo pipefail
WORK=$1 EXE=$2
shift 2
small=""
[ "${1:-}" = "--small" ] && { small=1; shift; }
[ "${1:-}" = "--" ] && shift
PGBIN=/usr/lib/postgresql/15/bin
log() { echo "scene: $*" >&2; }

mkdir -p "$WORK/varlog/postgresql" "$WORK/pg"
chmod 755 "$WORK" "$WORK/varlog" "$WORK/varlog/postgresql"
now=$(date +%s)
for i in $(seq 12); do
  t=$(date -d "@$((now - 600 + i * 5))" '+%b %e %H:%M:%S')
  echo "$t scene sshd[$((4000 + i))]: Failed password for root from 203.0.113.7 port $((40000 + i)) ssh2"
done >"$WORK/varlog/auth.log"
t=$(date -d "@$((now - 500))" '+%b %e %H:%M:%S')
echo "$t scene sshd[4100]: Accepted password for root from 203.0.113.7 port 40100 ssh2" >>"$WORK/varlog/auth.log"
chown postgres "$WORK/pg" "$WORK/varlog/postgresql"

mount --make-rprivate /
mount --bind "$WORK/varlog" /var/log
for d in /tmp /root /home /usr/local /work; do
  [ -d "$d" ] && mount -t tmpfs -o mode=1777 tmpfs "$d"
done

log "PostgreSQL 15 as postgres in $WORK/pg"
su postgres -s /bin/sh -c "$PGBIN/initdb -D '$WORK/pg/data' -U postgres --auth=trust" >/dev/null
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D '$WORK/pg/data' -l /var/log/postgresql/postgresql-15-main.log \
  -o \"-k '$WORK/pg' -p 5499 -c listen_addresses='' -c log_statement=all -c log_connections=on\" start" >/dev/null
ready=""
for _ in $(seq 300); do
  if "$PGBIN/pg_isready" -q -h "$WORK/pg" -p 5499; then ready=1; break; fi
  sleep 0.1
done
[ -n "$ready" ] || { log "PostgreSQL did not come up"; exit 3; }

log "COPY ... TO PROGRAM starts /tmp/$EXE and deletes it"
su postgres -s /bin/sh -c "psql -X -q -h '$WORK/pg' -p 5499 -U postgres -d postgres \
  -c \"COPY (SELECT 1) TO PROGRAM 'cp /usr/bin/sleep /tmp/$EXE && (/tmp/$EXE 3600 >/dev/null 2>&1 &) && sleep 0.2 && rm -f /tmp/$EXE'\""
running=""
for _ in $(seq 300); do
  for l in /proc/[0-9]*/exe; do
    if [ "$(readlink "$l" 2>/dev/null)" = "/tmp/$EXE (deleted)" ]; then running=${l%/exe}; break 2; fi
  done
  sleep 0.1
done
[ -n "$running" ] || { log "no process runs from the deleted /tmp/$EXE"; exit 3; }
log "${running#/proc/} runs from the deleted /tmp/$EXE"
if [ -n "$small" ]; then
  hide() { mount -t tmpfs -o mode=755 tmpfs "$1"; }
  for d in /usr/share /usr/include /usr/src /var/cache /opt; do
    if [ -d "$d" ]; then hide "$d"; fi
  done
  for d in /usr/lib/*/; do
    case "$d" in */x86_64-linux-gnu/ | */postgresql/ | */systemd/ | */locale/) continue ;; esac
    if [ "$(find "$d" -xdev 2>/dev/null | head -2001 | wc -l)" -gt 2000 ]; then hide "$d"; fi
  done
fi
log "running the collector: $*"
set +e
"$@"
rc=$?
log "collector exited $rc"
exit $rc
