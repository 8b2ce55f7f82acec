#!/usr/bin/env bash
# bed.sh: the fabk8s integration test bed, built from pinned Go modules.
#
#   bed.sh build [fabric|kube]   build binaries into a cache outside the repo (reused when cached)
#   bed.sh up    [fabric|kube]   build if needed, start the part(s), write the env file
#   bed.sh down  [fabric|kube]   stop the part(s); with no part also remove the state dir
#   bed.sh env                   print the env file path (source it)
#   bed.sh status                show which processes are alive
#
# Parts:
#   fabric  a 2-org Fabric network on loopback (shared/fabric-dev-network/fabnet)
#           with the chaincode-as-a-service builder
#   kube    etcd + kube-apiserver + kube-controller-manager + kube-scheduler on
#           127.0.0.1, and kwok faking Ready nodes (pods get scheduled and turn
#           Running/Ready, no container runs)
#
# With no part named, both are tried: a failing part is reported (the exact
# command and its log) and the other still runs; the exit code is then non-zero
# if any part failed. With a part named, only that part runs.
#
# Environment (all optional):
#   FABK8S_BED_DIR        state dir (logs, certs, kubeconfigs, env)  [/tmp/fabk8s-bed]
#   FABK8S_BED_CACHE      binary cache root                          [~/.cache/fabk8s-bed]
#   FABK8S_BED_KUBE_PORT  kube-apiserver secure port on 127.0.0.1    [16443]
#   FABK8S_BED_NODES      number of kwok nodes                       [2]
#   FABNET_SCRIPT         path to fabnet (default: <repo>/../shared/fabric-dev-network/fabnet)
#   FABNET_PORT_BASE      passed on to fabnet                        [7000]
set -uo pipefail

BED_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BED_DIR=${FABK8S_BED_DIR:-/tmp/fabk8s-bed}
CACHE_ROOT=${FABK8S_BED_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/fabk8s-bed}
KUBE_PORT=${FABK8S_BED_KUBE_PORT:-16443}
ETCD_PORT=$((KUBE_PORT - 4064))      # 12379
ETCD_PEER_PORT=$((ETCD_PORT + 1))    # 12380
KCM_PORT=$((KUBE_PORT + 1))          # 16444
SCHED_PORT=$((KUBE_PORT + 2))        # 16445
NODES=${FABK8S_BED_NODES:-2}
ENV_FILE=$BED_DIR/env

# Pinned versions (the go.mod files are the source of truth; these are labels).
FABRIC_MOD_VERSION=v1.4.0-rc1.0.20230405174026-695dd57e01c2
FABRIC_VERSION_LABEL=3.0.0-snapshot-695dd57e01c2
KUBE_VERSION=v1.34.4
KWOK_VERSION=v0.7.0

export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="${GOFLAGS:-} -mod=readonly -buildvcs=false"

log() { echo "bed.sh: $*" >&2; }

# run LOGFILE CMD...: run a command with output to LOGFILE; on failure say
# exactly what failed and show the end of the log.
run() {
  local logf=$1; shift
  mkdir -p "$(dirname "$logf")"
  echo "+ $*" >> "$logf"
  "$@" >> "$logf" 2>&1
  local rc=$?
  [ $rc = 0 ] && return 0
  log "FAILED (exit $rc): $*"
  log "  log: $logf"
  tail -n 15 "$logf" | sed 's/^/  | /' >&2
  return $rc
}

now() { date +%s; }

# ---------------------------------------------------------------- build

part_key() { # part -> short hash of everything that decides its binaries
  local part=$1
  {
    go env GOVERSION GOOS GOARCH
    echo "recipe-3"
    case $part in
      fabric) cat "$BED_SRC/fabric/go.mod" "$BED_SRC/fabric/go.sum" ;;
      ccaas) cat "$BED_SRC/ccaas/go.mod" "$BED_SRC/ccaas/"*.go ;;
      kube) cat "$BED_SRC/kube/go.mod" "$BED_SRC/kube/go.sum" ;;
      kwok) cat "$BED_SRC/kwok/go.mod" "$BED_SRC/kwok/go.sum" ;;
    esac
  } | sha256sum | cut -c1-16
}

part_dir() { echo "$CACHE_ROOT/$1-$(part_key "$1")"; }

ensure_apt() { # install Debian packages whose command is missing: cmd:pkg ...
  local missing=()
  for cp in "$@"; do command -v "${cp%%:*}" >/dev/null 2>&1 || missing+=("${cp#*:}"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "missing commands; install: ${missing[*]}"; return 1; fi
  log "installing ${missing[*]} (apt)"
  run "$CACHE_ROOT/apt.log" apt-get update -qq || return 1
  run "$CACHE_ROOT/apt.log" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# build_part PART: build into the cache unless already there
build_part() {
  local part=$1 dir t0
  command -v go >/dev/null || { log "FAILED: go not found on PATH"; return 1; }
  dir=$(part_dir "$part")
  if [ -f "$dir/.complete" ]; then log "$part: cached ($dir)"; return 0; fi
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp/bin"
  local blog="$CACHE_ROOT/build-$part.log"; : > "$blog"
  local bf=(build -trimpath)
  log "$part: building into $dir (log: $blog)"
  t0=$(now)
  case $part in
    fabric)
      local M=github.com/hyperledger/fabric
      (cd "$BED_SRC/fabric" && run "$blog" go "${bf[@]}" \
        -ldflags "-s -w -X $M/common/metadata.Version=$FABRIC_VERSION_LABEL -X $M/common/metadata.CommitSHA=${FABRIC_MOD_VERSION##*-}" \
        -o "$dir.tmp/bin/" $M/cmd/peer $M/cmd/orderer $M/cmd/configtxgen $M/cmd/cryptogen $M/cmd/osnadmin) || return 1
      local src
      src=$(cd "$BED_SRC/fabric" && go list -m -f '{{.Dir}}' $M) && [ -f "$src/sampleconfig/core.yaml" ] \
        || { log "FAILED: cannot find $M sampleconfig in the module cache"; return 1; }
      mkdir -p "$dir.tmp/config" && cp -r "$src/sampleconfig/." "$dir.tmp/config/" && chmod -R u+w "$dir.tmp/config"
      ;;
    ccaas)
      (cd "$BED_SRC/ccaas" && run "$blog" go "${bf[@]}" -ldflags "-s -w" -o "$dir.tmp/bin/ccaas" .) || return 1
      for s in detect build release; do ln -f "$dir.tmp/bin/ccaas" "$dir.tmp/bin/$s"; done
      ;;
    kube)
      local V=k8s.io/component-base/version MINOR=${KUBE_VERSION#v1.}; MINOR=${MINOR%%.*}
      local lf="-s -w -X $V.gitVersion=$KUBE_VERSION -X $V.gitMajor=1 -X $V.gitMinor=$MINOR -X $V.gitTreeState=clean"
      lf="$lf -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
      (cd "$BED_SRC/kube" && run "$blog" go "${bf[@]}" -ldflags "$lf" -o "$dir.tmp/bin/" \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler \
        && run "$blog" go "${bf[@]}" -ldflags "-s -w" -o "$dir.tmp/bin/etcd" go.etcd.io/etcd/server/v3) || return 1
      ;;
    kwok)
      (cd "$BED_SRC/kwok" && run "$blog" go "${bf[@]}" -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
        -o "$dir.tmp/bin/kwok" sigs.k8s.io/kwok/cmd/kwok) || return 1
      ;;
  esac
  rm -rf "$dir" && mv "$dir.tmp" "$dir" && touch "$dir/.complete"
  log "$part: built in $(( $(now) - t0 ))s"
  echo "$part $(( $(now) - t0 ))s $(date -u +%FT%TZ)" >> "$CACHE_ROOT/timings.log"
}

parts_of() { # group -> build parts
  case $1 in
    fabric) echo "fabric ccaas" ;;
    kube) echo "kube kwok" ;;
  esac
}

build_group() {
  local g=$1 p rc=0
  mkdir -p "$CACHE_ROOT"
  ensure_apt curl:curl openssl:openssl || rc=1
  for p in $(parts_of "$g"); do build_part "$p" || rc=1; done
  return $rc
}

# ---------------------------------------------------------------- env file

write_env() { # assemble $ENV_FILE from the parts' snippets
  mkdir -p "$BED_DIR"
  {
    echo "# fabk8s test bed; written by test/bed/bed.sh $(date -u +%FT%TZ)"
    echo "export FABK8S_BED_DIR=\"$BED_DIR\""
    for f in "$BED_DIR"/env.fabric "$BED_DIR"/env.kube; do [ -f "$f" ] && cat "$f"; done
  } > "$ENV_FILE.tmp" && mv "$ENV_FILE.tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------- fabric

fabnet_script() {
  if [ -n "${FABNET_SCRIPT:-}" ]; then echo "$FABNET_SCRIPT"; return; fi
  local top
  top=$(git -C "$BED_SRC" rev-parse --show-toplevel 2>/dev/null) || top=$(cd "$BED_SRC/../.." && pwd)
  echo "$top/../shared/fabric-dev-network/fabnet"
}

fabric_vars() {
  FABRIC_BIN=$(part_dir fabric)/bin
  FABRIC_CFG=$(part_dir fabric)/config
  CCAAS_BUILDER=$(part_dir ccaas)
  FABNET_DIR=$BED_DIR/fabnet
  export FABRIC_BIN FABRIC_CFG CCAAS_BUILDER FABNET_DIR
}

up_fabric() {
  local t0; t0=$(now)
  build_group fabric || return 1
  fabric_vars
  {
    echo "export FABRIC_BIN=\"$FABRIC_BIN\""
    echo "export FABRIC_CFG=\"$FABRIC_CFG\""
    echo "export CCAAS_BUILDER=\"$CCAAS_BUILDER\""
  } > "$BED_DIR/env.fabric"
  write_env
  local fabnet; fabnet=$(fabnet_script)
  [ -x "$fabnet" ] || { log "FAILED: fabnet not found at $fabnet (set FABNET_SCRIPT)"; return 1; }
  if [ -d "$FABNET_DIR/pids" ]; then
    log "fabric: stopping the previous network in $FABNET_DIR"
    "$fabnet" down >/dev/null 2>&1 || true
  fi
  mkdir -p "$BED_DIR/logs"
  if ! run "$BED_DIR/logs/fabnet-up.log" "$fabnet" up; then
    # keep fabnet's own logs (fabnet down deletes its dir), then stop what did start
    rm -rf "$BED_DIR/logs/fabnet-failed"; cp -r "$FABNET_DIR/logs" "$BED_DIR/logs/fabnet-failed" 2>/dev/null \
      && log "  fabnet logs kept in $BED_DIR/logs/fabnet-failed"
    "$fabnet" down >/dev/null 2>&1
    return 1
  fi
  local fenv=$FABNET_DIR/fabnet.env
  [ -f "$fenv" ] || { log "FAILED: fabnet up wrote no $fenv"; return 1; }
  {
    echo "export FABNET_SCRIPT=\"$fabnet\""
    echo "export FABNET_ENV=\"$fenv\""
    echo "# --- contents of $fenv"
    cat "$fenv"
  } >> "$BED_DIR/env.fabric"
  write_env
  log "fabric: up in $(( $(now) - t0 ))s ($("$fabnet" status | tr '\n' ' '))"
}

down_fabric() {
  fabric_vars
  local fabnet; fabnet=$(fabnet_script)
  if [ -d "$FABNET_DIR" ]; then
    if [ -x "$fabnet" ]; then "$fabnet" down || true
    else # fabnet gone: stop its processes by their recorded pids
      for f in "$FABNET_DIR"/pids/*; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
      rm -rf "$FABNET_DIR"
    fi
  fi
  rm -f "$BED_DIR/env.fabric"
  [ -d "$BED_DIR" ] && write_env
  return 0
}

# ---------------------------------------------------------------- kube

K=  # kube state dir, set by kube_vars
kube_vars() {
  K=$BED_DIR/kube
  KUBE_BIN=$(part_dir kube)/bin
  KWOK_BIN=$(part_dir kwok)/bin
}

gen_certs() {
  local P=$K/pki
  mkdir -p "$P" && cd "$P" || return 1
  local ossl="$K/../logs/openssl.log"
  run "$ossl" openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
    -subj "/CN=fabk8s-bed-ca" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" || return 1
  # name CN O [server SANs]
  mk() {
    local name=$1 cn=$2 o=$3 san=${4:-} subj="/CN=$2" ext
    [ -n "$o" ] && subj="/O=$o/CN=$cn"
    ext=$P/$name.ext
    if [ -n "$san" ]; then
      printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$san" > "$ext"
    else
      printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > "$ext"
    fi
    run "$ossl" openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" &&
    run "$ossl" openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" -days 3650 -extfile "$ext"
  }
  mk apiserver kube-apiserver "" "IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" || return 1
  mk admin fabk8s-admin system:masters || return 1
  mk noauth fabk8s-nobody "" || return 1
  mk controller-manager system:kube-controller-manager "" || return 1
  mk scheduler system:kube-scheduler "" || return 1
  mk apiserver-kubelet-client kube-apiserver-kubelet-client system:masters || return 1
  run "$ossl" openssl genrsa -out sa.key 2048 && run "$ossl" openssl rsa -in sa.key -pubout -out sa.pub || return 1
  cd - >/dev/null
}

kubeconfig() { # name user-cert-basename
  local P=$K/pki
  cat > "$K/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fabk8s-bed
  cluster:
    server: https://127.0.0.1:$KUBE_PORT
    certificate-authority-data: $(base64 -w0 < "$P/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 < "$P/$2.crt")
    client-key-data: $(base64 -w0 < "$P/$2.key")
contexts:
- name: $1@fabk8s-bed
  context: {cluster: fabk8s-bed, user: $1, namespace: default}
current-context: $1@fabk8s-bed
EOF
}

start_bg() { # name cmd...: start in the background, record the pid
  local name=$1; shift
  echo "+ $*" > "$K/logs/$name.log"
  nohup "$@" >> "$K/logs/$name.log" 2>&1 &
  echo $! > "$K/pids/$name"
}

alive() { [ -f "$K/pids/$1" ] && kill -0 "$(cat "$K/pids/$1")" 2>/dev/null; }

# kapi METHOD PATH [curl args...]: call the apiserver as admin
kapi() {
  local m=$1 p=$2; shift 2
  curl -sS --max-time 10 --cacert "$K/pki/ca.crt" --cert "$K/pki/admin.crt" --key "$K/pki/admin.key" \
    -X "$m" "https://127.0.0.1:$KUBE_PORT$p" "$@"
}

wait_for() { # description seconds process-to-watch cmd...
  local what=$1 secs=$2 proc=$3; shift 3
  local end=$(( $(now) + secs ))
  while [ "$(now)" -lt $end ]; do
    "$@" >/dev/null 2>&1 && return 0
    if [ -n "$proc" ] && ! alive "$proc"; then
      log "FAILED: $proc exited while waiting for $what; log: $K/logs/$proc.log"
      tail -n 15 "$K/logs/$proc.log" | sed 's/^/  | /' >&2
      return 1
    fi
    sleep 0.5
  done
  log "FAILED: timed out after ${secs}s waiting for $what"
  [ -n "$proc" ] && { log "  log: $K/logs/$proc.log"; tail -n 15 "$K/logs/$proc.log" | sed 's/^/  | /' >&2; }
  return 1
}

node_ready() { # Ready, and the node-lifecycle controller has lifted the not-ready taint
  local j; j=$(kapi GET "/api/v1/nodes/$1" --fail) || return 1
  grep -A3 '"type": "Ready"' <<<"$j" | grep -q '"status": "True"' && ! grep -q '"taints"' <<<"$j"
}

default_sa() { kapi GET /api/v1/namespaces/default/serviceaccounts/default --fail; }

up_kube() {
  local t0; t0=$(now)
  build_group kube || return 1
  kube_vars
  if [ -d "$K/pids" ]; then log "kube: stopping the previous control plane"; down_kube; fi
  rm -rf "$K"; mkdir -p "$K"/{logs,pids,etcd} "$BED_DIR/logs"
  gen_certs || return 1
  kubeconfig admin admin
  kubeconfig noauth noauth
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  local P=$K/pki

  start_bg etcd "$KUBE_BIN/etcd" --name bed --data-dir "$K/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "bed=http://127.0.0.1:$ETCD_PEER_PORT" \
    --listen-metrics-urls "" --unsafe-no-fsync --quota-backend-bytes 1073741824 --log-level warn
  wait_for "etcd health" 30 etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health" || return 1

  start_bg kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$KUBE_PORT" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
    --client-ca-file "$P/ca.crt" \
    --requestheader-client-ca-file "$P/ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
    --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --authorization-mode Node,RBAC --service-cluster-ip-range 10.0.0.0/24 \
    --endpoint-reconciler-type none --allow-privileged=true \
    --enable-priority-and-fairness=false --profiling=false
  wait_for "kube-apiserver /readyz" 120 kube-apiserver kapi GET /readyz --fail || return 1

  start_bg kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$K/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$K/controller-manager.kubeconfig" --authorization-kubeconfig "$K/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" --use-service-account-credentials \
    --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
    --node-monitor-grace-period 5m \
    --profiling=false
  start_bg kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$K/scheduler.kubeconfig" \
    --authentication-kubeconfig "$K/scheduler.kubeconfig" --authorization-kubeconfig "$K/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --profiling=false
  : > "$K/kwok.yaml"  # no config of our own: kwok's default node and pod stages apply
  start_bg kwok "$KWOK_BIN/kwok" --kubeconfig "$K/admin.kubeconfig" --manage-all-nodes=true \
    --config "$K/kwok.yaml" --node-lease-duration-seconds 40

  local i n names=()
  for i in $(seq 0 $((NODES - 1))); do
    n=kwok-node-$i; names+=("$n")
    run "$BED_DIR/logs/kube-nodes.log" kapi POST /api/v1/nodes --fail -H 'Content-Type: application/json' -d @- <<EOF || return 1
{"apiVersion":"v1","kind":"Node",
 "metadata":{"name":"$n","annotations":{"node.alpha.kubernetes.io/ttl":"0","kwok.x-k8s.io/node":"fake"},
   "labels":{"kubernetes.io/hostname":"$n","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","type":"kwok"}},
 "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},"capacity":{"cpu":"32","memory":"256Gi","pods":"110"},
   "nodeInfo":{"architecture":"amd64","operatingSystem":"linux","kubeletVersion":"fake","kernelVersion":"","kubeProxyVersion":"fake","osImage":""}}}
EOF
  done
  for n in "${names[@]}"; do wait_for "node $n Ready" 60 kwok node_ready "$n" || return 1; done
  wait_for "serviceaccount default/default" 60 kube-controller-manager default_sa || return 1
  alive kube-scheduler || { log "FAILED: kube-scheduler exited; log: $K/logs/kube-scheduler.log"; return 1; }

  {
    echo "export FABK8S_TEST_KUBECONFIG=\"$K/admin.kubeconfig\""
    echo "export FABK8S_TEST_KUBECONFIG_NOAUTH=\"$K/noauth.kubeconfig\""
    echo "export FABK8S_BED_KUBE_SERVER=\"https://127.0.0.1:$KUBE_PORT\""
    echo "export FABK8S_BED_KUBE_NODES=\"${names[*]}\""
    echo "export FABK8S_BED_KUBE_BIN=\"$KUBE_BIN\""
  } > "$BED_DIR/env.kube"
  write_env
  log "kube: up in $(( $(now) - t0 ))s (apiserver https://127.0.0.1:$KUBE_PORT, nodes: ${names[*]})"
}

down_kube() {
  stop_kube
  rm -rf "$K" "$BED_DIR/env.kube"
  [ -d "$BED_DIR" ] && write_env
  return 0
}

stop_kube() { # stop the processes, keep the state dir (logs)
  kube_vars
  local p
  if [ -d "$K/pids" ]; then
    for p in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
      [ -f "$K/pids/$p" ] && kill "$(cat "$K/pids/$p")" 2>/dev/null
    done
    for _ in $(seq 1 20); do
      local any=0
      for p in "$K"/pids/*; do [ -f "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null && any=1; done
      [ $any = 0 ] && break
      sleep 0.25
    done
    for p in "$K"/pids/*; do [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null; done
    rm -rf "$K/pids"
  fi
  return 0
}

status() {
  fabric_vars; kube_vars
  local fabnet; fabnet=$(fabnet_script)
  echo "fabric:"; if [ -d "$FABNET_DIR/pids" ]; then FABNET_DIR=$FABNET_DIR "$fabnet" status | sed 's/^/  /'; else echo "  not running"; fi
  echo "kube:"
  if [ -d "$K/pids" ]; then
    for p in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
      if alive $p; then echo "  $p: up"; else echo "  $p: DOWN"; fi
    done
  else echo "  not running"; fi
}

# ---------------------------------------------------------------- main

cmd=${1:-}; part=${2:-all}
case $part in all|fabric|kube) ;; *) echo "unknown part '$part' (fabric|kube)" >&2; exit 2 ;; esac
groups() { if [ "$part" = all ]; then echo "fabric kube"; else echo "$part"; fi; }

case $cmd in
  build)
    rc=0; for g in $(groups); do build_group "$g" || { log "$g: build failed"; rc=1; }; done; exit $rc ;;
  up)
    mkdir -p "$BED_DIR/logs"; rc=0; ok=()
    for g in $(groups); do
      if "up_$g"; then ok+=("$g"); else
        log "$g: NOT started (see above); continuing"; rc=1
        [ "$g" = kube ] && stop_kube  # keeps $BED_DIR/kube/logs; fabric: up_fabric already ran fabnet down
      fi
    done
    write_env
    log "up: started now: ${ok[*]:-nothing}; env file: $ENV_FILE (source it)"
    exit $rc ;;
  down)
    for g in $(groups); do "down_$g"; done
    [ "$part" = all ] && rm -rf "$BED_DIR"
    exit 0 ;;
  env) echo "$ENV_FILE" ;;
  status) status ;;
  *) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
