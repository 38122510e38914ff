#!/bin/bash
# importer/testdata/scene.sh: stage a small scene of the incident and run a
# collector in it.
#
# Run as root, as PID 1 of new PID, mount and network namespaces, from the
# collector's own directory:
#   unshare --pid --fork --mount-proc --mount --net scene.sh WORK EXE [--small] -- COLLECTOR ARGS...
#
# The scene, seen only inside the namespaces (the host is left as it was):
#   - /var/log is WORK/varlog: an auth.log with 12 failed SSH logins from
#     203.0.113.7, then its successful one;
#   - a PostgreSQL 15 cluster run by the non-root user postgres, configured
#     as Debian does (/etc/postgresql/15/scene, here WORK/etc-postgresql):
#     listen_addresses '*', "host all all all trust", every statement logged
#     to /var/log/postgresql/postgresql-15-scene.log;
#   - a client on 127.0.0.1 stores nothing and runs COPY ... TO PROGRAM twice:
#     to copy /usr/bin/sleep to /tmp/EXE, then to start it (exec: it stays
#     the child of its PostgreSQL backend, whose COPY waits); then /tmp/EXE
#     is deleted: a process running from a deleted executable under /tmp,
#     spawned by the database, as in the incident;
#   - /tmp, /root, /home, /usr/local, /work are empty file systems, so that
#     the collectors' walks of / stay small; with --small, once PostgreSQL
#     runs, also /usr/share, /usr/include, /usr/src, /var/cache, /opt and
#     every directory of /usr/lib holding more than 2,000 files but the
#     shared libraries, PostgreSQL's and systemd's (for Cat-Scale, which
#     walks and hashes all of /).
# When the collector is done, the script (PID 1) exits and the kernel ends
# every process of the scene.
set -euo pipefail
WORK=$1 EXE=$2
shift 2
small=""
[ "${1:-}" = "--small" ] && { small=1; shift; }
[ "${1:-}" = "--" ] && shift
PGBIN=/usr/lib/postgresql/15/bin
CONF=/etc/postgresql/15/scene
log() { echo "scene: $*" >&2; }

mkdir -p "$WORK/varlog/postgresql" "$WORK/pg" "$WORK/etc-postgresql/15/scene"
chmod 755 "$WORK" "$WORK/varlog" "$WORK/varlog/postgresql"
now=$(date +%s)
for i in $(seq 12); do
  t=$(date -d "@$((now - 600 + i * 5))" '+%b %e %H:%M:%S')
  echo "$t scene sshd[$((4000 + i))]: Failed password for root from 203.0.113.7 port $((40000 + i)) ssh2"
done >"$WORK/varlog/auth.log"
t=$(date -d "@$((now - 500))" '+%b %e %H:%M:%S')
echo "$t scene sshd[4100]: Accepted password for root from 203.0.113.7 port 40100 ssh2" >>"$WORK/varlog/auth.log"

mount --make-rprivate /
ip link set lo up
mount --bind "$WORK/varlog" /var/log
[ -d /etc/postgresql ] || { log "no /etc/postgresql: install postgresql-common"; exit 3; }
mount --bind "$WORK/etc-postgresql" /etc/postgresql
cat >"$CONF/postgresql.conf" <<CONF
data_directory = '$WORK/pg/data'
hba_file = '$CONF/pg_hba.conf'
ident_file = '$CONF/pg_ident.conf'
# as the CI pipeline's container had it (docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust)
listen_addresses = '*'
port = 5432
unix_socket_directories = '$WORK/pg'
log_connections = on
log_statement = 'all'
CONF
printf 'local all all trust\nhost all all all trust\n' >"$CONF/pg_hba.conf"
: >"$CONF/pg_ident.conf"
chown -R postgres "$WORK/pg" "$WORK/varlog/postgresql" "$WORK/etc-postgresql"
for d in /tmp /root /home /usr/local /work; do
  if [ -d "$d" ]; then mount -t tmpfs -o mode=1777 tmpfs "$d"; fi
done

log "PostgreSQL 15 as postgres, on *:5432 with trust"
su postgres -s /bin/sh -c "$PGBIN/initdb -D '$WORK/pg/data' -U postgres --auth=trust" >/dev/null
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D '$WORK/pg/data' -l /var/log/postgresql/postgresql-15-scene.log \
  -o \"-c config_file=$CONF/postgresql.conf\" start" >/dev/null
ready=""
for _ in $(seq 300); do
  if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p 5432; then ready=1; break; fi
  sleep 0.1
done
[ -n "$ready" ] || { log "PostgreSQL did not come up"; exit 3; }

log "a client on 127.0.0.1 drops /tmp/$EXE and starts it through COPY ... TO PROGRAM"
psql -X -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 \
  -c "COPY (SELECT 1) TO PROGRAM 'cp /usr/bin/sleep /tmp/$EXE && chmod 755 /tmp/$EXE'" >/dev/null
psql -X -q -h 127.0.0.1 -p 5432 -U postgres -d postgres \
  -c "COPY (SELECT 1) TO PROGRAM 'exec /tmp/$EXE 3600'" >/dev/null 2>&1 &
running=""
for _ in $(seq 300); do
  for l in /proc/[0-9]*/exe; do
    if [ "$(readlink "$l" 2>/dev/null)" = "/tmp/$EXE" ]; then running=${l%/exe}; break 2; fi
  done
  sleep 0.1
done
[ -n "$running" ] || { log "/tmp/$EXE did not start"; exit 3; }
rm -f "/tmp/$EXE"
[ "$(readlink "$running/exe")" = "/tmp/$EXE (deleted)" ] || { log "/tmp/$EXE is not deleted"; exit 3; }
log "${running#/proc/} runs from the deleted /tmp/$EXE, child of $(awk '/^PPid:/{print $2}' "$running/status")"

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
