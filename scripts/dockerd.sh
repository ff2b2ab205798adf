#!/usr/bin/env bash
# A Docker engine for the container test (.ci/run): start one if none answers, and stop only the
# engine this script started, by its PID.
#
#   scripts/dockerd.sh start   # no-op when an engine already answers
#   scripts/dockerd.sh stop    # stops the engine `start` started (none otherwise)
#
# Environment: ELT_DOCKERD_PIDFILE (default /tmp/flights-elt-dockerd.pid), ELT_DOCKERD_LOG
# (default /tmp/flights-elt-dockerd.log), DOCKER (client used to ask the engine).
set -euo pipefail

PIDFILE="${ELT_DOCKERD_PIDFILE:-/tmp/flights-elt-dockerd.pid}"
LOG="${ELT_DOCKERD_LOG:-/tmp/flights-elt-dockerd.log}"
CLIENT="${DOCKER:-docker}"
command -v "$CLIENT" >/dev/null || CLIENT=/usr/bin/docker

answers() { "$CLIENT" info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

start() {
    if answers; then
        echo "dockerd: an engine already answers; nothing started"
        return
    fi
    command -v dockerd >/dev/null || { echo "dockerd: not installed (apt-get install docker.io)" >&2; exit 1; }
    dockerd >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
        if answers; then
            echo "dockerd: started (PID $(cat "$PIDFILE"), log $LOG)"
            return
        fi
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "dockerd: exited during start-up; see $LOG" >&2
            tail -n 20 "$LOG" >&2 || true
            rm -f "$PIDFILE"
            exit 1
        fi
        sleep 0.5
    done
    echo "dockerd: no answer after 60 s; see $LOG" >&2
    exit 1
}

stop() {
    [[ -f "$PIDFILE" ]] || { echo "dockerd: none started here"; return; }
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -TERM "$pid" 2>/dev/null; then
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$PIDFILE"
    echo "dockerd: stopped (PID $pid)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
