#!/usr/bin/env bash
# Start / stop / check the local Redis used as Feast's online store (127.0.0.1 only, no persistence).
#   infra/redis.sh start|stop|status      (port from REDIS_PORT, default 6379)
set -euo pipefail
PORT="${REDIS_PORT:-6379}"
RUN_DIR="${SME_PULSE_RUN_DIR:-${TMPDIR:-/tmp}/sme-pulse-redis-$PORT}"
PIDFILE="$RUN_DIR/redis.pid"

ping() { redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; }

ensure_installed() {
  if command -v redis-server >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "redis-server not found: installing it with apt-get" >&2
    (apt-get install -y -q redis-server >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null; })
  else
    echo "redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server;" \
         "macOS: brew install redis) or point SME_PULSE_REDIS_URL at a running Redis." >&2
    exit 1
  fi
}

case "${1:-status}" in
  start)
    if ping; then echo "redis already answering on 127.0.0.1:$PORT"; exit 0; fi
    ensure_installed
    mkdir -p "$RUN_DIR"
    redis-server --port "$PORT" --bind 127.0.0.1 --daemonize yes --pidfile "$PIDFILE" \
      --dir "$RUN_DIR" --save "" --appendonly no --logfile "$RUN_DIR/redis.log"
    for _ in $(seq 1 50); do ping && { echo "redis started on 127.0.0.1:$PORT"; exit 0; }; sleep 0.1; done
    echo "redis did not answer on 127.0.0.1:$PORT; see $RUN_DIR/redis.log" >&2; exit 1 ;;
  stop)
    if ping; then redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; fi
    echo "redis on 127.0.0.1:$PORT stopped" ;;
  status)
    if ping; then echo "redis answering on 127.0.0.1:$PORT"; else echo "redis not running on 127.0.0.1:$PORT"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
