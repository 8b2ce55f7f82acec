#!/usr/bin/env bash
# A private Docker engine for fabk8s tests and CI.
#
#   bash .ci/docker.sh start   # install docker.io if dockerd is missing, start dockerd, print `export DOCKER_HOST=…`
#   bash .ci/docker.sh stop    # stop it and remove its state
#   bash .ci/docker.sh status  # exit 0 when the engine answers
#
# Use:  eval "$(bash .ci/docker.sh start)"
#
# The engine listens on unix:///tmp/fabk8s-docker.sock with its own --data-root/--exec-root/--pidfile under
# $FABK8S_DOCKER_STATE (default /tmp/fabk8s-docker), so it never touches a system dockerd (/var/run/docker.sock,
# /var/lib/docker). Must work as root on a fresh Debian machine with no TTY. stdout carries only the export
# lines; everything else goes to stderr.
#
# Settings, and why (checked on the CI machines, Debian 12, docker.io 20.10.24, kernel 6.x, cgroup v1):
# - storage: overlay2 works (extfs backing); we let dockerd choose, and fall back to vfs if it cannot start.
# - network: iptables and bridges work on these machines, so the default bridge is kept (containers and
#   `docker build` RUN steps reach the npm registry through NAT, like the host). --mtu follows the host's
#   default-route interface (1400 here; docker0 would otherwise say 1500 and large TLS records can stall).
#   If dockerd cannot start with a bridge (no iptables/netfilter in a sandbox), we restart it with
#   `--iptables=false --ip-masq=false --bridge=none`; then containers must use `--network host`, and the script
#   prints `export FABK8S_DOCKER_NETWORK=host` so tests and benches add it (the fabk8s CLI has --network).
#   FABK8S_DOCKER_NOBRIDGE=1 forces that mode (for machines where the bridge starts but does not route).
# - --userland-proxy=false: no docker-proxy processes per published port (tests publish none anyway).
# - no --privileged anywhere: privileged containers cannot start on these machines (tests use --cap-add).
# - BuildKit: Debian ships no docker-buildx plugin; fabk8s detects that and uses the classic builder.
set -euo pipefail

SOCK_PATH=${FABK8S_DOCKER_SOCK:-/tmp/fabk8s-docker.sock}
HOST="unix://$SOCK_PATH"
STATE=${FABK8S_DOCKER_STATE:-/tmp/fabk8s-docker}
PIDFILE=$STATE/dockerd.pid
LOG=$STATE/dockerd.log

log() { echo "docker.sh: $*" >&2; }

answers() { DOCKER_HOST=$HOST timeout 10 docker info >/dev/null 2>&1; }

running_pid() {
  [[ -f $PIDFILE ]] || return 1
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_docker() {
  if command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1; then return 0; fi
  [[ $(id -u) == 0 ]] || { log "dockerd is missing and we are not root: install docker.io (apt-get install docker.io)"; exit 1; }
  log "installing docker.io (apt-get)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # docker.io brings containerd, runc and the docker client; iptables for the bridge network
  apt-get install -y -qq --no-install-recommends docker.io iptables ca-certificates >&2
  # the package enables a system service on machines with systemd; we run our own daemon instead
}

default_mtu() { # the MTU of the default-route interface (from /proc: iproute2 may be missing)
  local dev
  dev=$(awk '$2 == "00000000" {print $1; exit}' /proc/net/route 2>/dev/null || true)
  if [[ -n $dev && -r /sys/class/net/$dev/mtu ]]; then cat "/sys/class/net/$dev/mtu"; else echo 1500; fi
}

launch() { # launch <extra dockerd flags…>; returns 0 when the engine answers
  mkdir -p "$STATE/data" "$STATE/exec"
  : >"$LOG"
  # setsid + nohup: the daemon outlives this script and the CI step's shell, with no TTY
  setsid nohup dockerd \
    --host "$HOST" \
    --data-root "$STATE/data" \
    --exec-root "$STATE/exec" \
    --pidfile "$PIDFILE" \
    --userland-proxy=false \
    "$@" >>"$LOG" 2>&1 </dev/null &
  local i
  for i in $(seq 1 120); do
    if answers; then return 0; fi
    if ! kill -0 $! 2>/dev/null; then return 1; fi
    sleep 0.5
  done
  return 1
}

stop_daemon() {
  local pid i
  if pid=$(running_pid); then
    log "stopping dockerd (pid $pid)…"
    # remove containers first so their mounts and shims go away cleanly
    local ids
    ids=$(DOCKER_HOST=$HOST timeout 20 docker ps -aq 2>/dev/null || true)
    [[ -n $ids ]] && DOCKER_HOST=$HOST timeout 60 docker rm -f $ids >/dev/null 2>&1 || true
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # the containerd that dockerd started (it outlives dockerd for a moment and keeps writing its state)
  local cpid
  cpid=$(cat "$STATE/exec/containerd/containerd.pid" 2>/dev/null || true)
  if [[ -n $cpid ]] && kill -0 "$cpid" 2>/dev/null; then
    kill "$cpid" 2>/dev/null || true
    for i in $(seq 1 40); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$cpid" 2>/dev/null || true
  fi
  # leftover mounts under the state dir (overlay layers, netns, shm)
  if [[ -d $STATE ]]; then
    local m
    for m in $({ grep -o " $STATE/[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r); do umount -l "$m" 2>/dev/null || true; done
  fi
  rm -f "$SOCK_PATH" "$PIDFILE"
}

print_env() {
  echo "export DOCKER_HOST=$HOST"
  if [[ -f $STATE/network && $(cat "$STATE/network") == host ]]; then echo "export FABK8S_DOCKER_NETWORK=host"; fi
}

case "${1:-start}" in
  start)
    if running_pid >/dev/null && answers; then
      log "dockerd already running at $HOST"
      print_env
      exit 0
    fi
    install_docker
    stop_daemon
    mtu=$(default_mtu)
    mode=""
    if [[ ${FABK8S_DOCKER_NOBRIDGE:-} == 1 ]]; then
      log "FABK8S_DOCKER_NOBRIDGE=1: starting without a bridge"
    elif launch --mtu "$mtu"; then
      mode=bridge
    else
      log "dockerd did not start with a bridge network; last log lines:"
      tail -n 5 "$LOG" >&2 || true
      stop_daemon
    fi
    if [[ -z $mode ]]; then
      log "starting with --iptables=false --ip-masq=false --bridge=none (containers then need --network host)"
      if launch --iptables=false --ip-masq=false --bridge=none; then
        mode=host
      else
        tail -n 5 "$LOG" >&2 || true
        stop_daemon
        log "retrying with --storage-driver vfs"
        if launch --iptables=false --ip-masq=false --bridge=none --storage-driver vfs; then
          mode=host
        else
          log "dockerd failed to start; log: $LOG"
          tail -n 20 "$LOG" >&2 || true
          exit 1
        fi
      fi
    fi
    echo "$mode" >"$STATE/network"
    log "dockerd ready at $HOST (network: $(cat "$STATE/network"), log: $LOG)"
    print_env
    ;;
  stop)
    stop_daemon
    for i in 1 2 3 4 5; do rm -rf "$STATE" 2>/dev/null && break; sleep 1; done
    [[ -e $STATE ]] && log "could not remove all of $STATE"
    log "stopped"
    ;;
  status)
    answers && { log "running at $HOST"; print_env; } || { log "not running"; exit 1; }
    ;;
  env)
    print_env
    ;;
  *)
    echo "usage: bash .ci/docker.sh start|stop|status|env" >&2
    exit 2
    ;;
esac
