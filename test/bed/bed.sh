#!/usr/bin/env bash
# bed.sh: the fabk8s integration test bed, built from pinned Go modules.
#
#   bed.sh build [PART]   build binaries into a cache outside the repo (reused when cached)
#   bed.sh up    [PART]   build if needed, start the part(s), write the env file
#   bed.sh down  [PART]   stop the part(s) and undo their side effects; with no part also remove the state dir
#   bed.sh env                   print the env file path (source it)
#   bed.sh status                show which processes are alive
#
# Parts:
#   fabric  a 2-org Fabric network on loopback (shared/fabric-dev-network/fabnet)
#           with the chaincode-as-a-service builder
#   kube    etcd + kube-apiserver + kube-controller-manager + kube-scheduler on
#           127.0.0.1, and kwok faking Ready nodes (pods get scheduled and turn
#           Running/Ready, no container runs)
#   registry  the CNCF distribution registry on 127.0.0.1 (plain HTTP), for registry-mode tests
#   node    a real node beside the kwok ones: containerd (CRI) + CNI bridge + kubelet + kube-proxy, pods
#           really run (needs kube; as root). To fabk8s it looks like a kind node of cluster fabk8s-bed.
#
# With no part named, every part is tried: a failing part is reported (the
# exact command and its log) and the others still run; the exit code is then
# non-zero if any part failed. With a part named, only that part runs.
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
REGISTRY_VERSION=v3.0.0

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
      node) cat "$BED_SRC/kube/go.mod" "$BED_SRC/kube/go.sum" "$BED_SRC/pause/go.mod" "$BED_SRC/pause/"*.go ;;
      registry) cat "$BED_SRC/registry/go.mod" "$BED_SRC/registry/go.sum" ;;
    esac
  } | sha256sum | cut -c1-16
}

part_dir() { echo "$CACHE_ROOT/$1-$(part_key "$1")"; }

ensure_apt() { # install Debian packages whose command (or absolute path) is missing: cmd:pkg ...
  local missing=() c
  for cp in "$@"; do
    c=${cp%%:*}
    if [[ $c == /* ]]; then [ -e "$c" ] || missing+=("${cp#*:}")
    else command -v "$c" >/dev/null 2>&1 || missing+=("${cp#*:}"); fi
  done
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
    node)
      local V=k8s.io/component-base/version MINOR=${KUBE_VERSION#v1.}; MINOR=${MINOR%%.*}
      local lf="-s -w -X $V.gitVersion=$KUBE_VERSION -X $V.gitMajor=1 -X $V.gitMinor=$MINOR -X $V.gitTreeState=clean"
      (cd "$BED_SRC/kube" && run "$blog" go "${bf[@]}" -ldflags "$lf" -o "$dir.tmp/bin/" \
        k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy) || return 1
      (cd "$BED_SRC/pause" && run "$blog" env CGO_ENABLED=0 go "${bf[@]}" -ldflags "-s -w" -o "$dir.tmp/bin/pause" .) || return 1
      ;;
    registry)
      (cd "$BED_SRC/registry" && run "$blog" go "${bf[@]}" -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION" \
        -o "$dir.tmp/bin/registry" github.com/distribution/distribution/v3/cmd/registry) || return 1
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
    node) echo "node" ;;
    registry) echo "registry" ;;
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
    for f in "$BED_DIR"/env.fabric "$BED_DIR"/env.kube "$BED_DIR"/env.registry "$BED_DIR"/env.node; do [ -f "$f" ] && cat "$f"; done
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

  # Pods go to the kwok nodes unless their namespace says otherwise (annotation
  # scheduler.alpha.kubernetes.io/node-selector: type=real puts them on the real node, see up_node).
  printf 'podNodeSelectorPluginConfig:\n  clusterDefaultNodeSelector: "type=kwok"\n' > "$K/podnodeselector.yaml"
  cat > "$K/admission.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodNodeSelector
  path: $K/podnodeselector.yaml
EOF
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
    --kubelet-preferred-address-types InternalIP,Hostname \
    --enable-admission-plugins PodNodeSelector --admission-control-config-file "$K/admission.yaml" \
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
  start_bg kwok "$KWOK_BIN/kwok" --kubeconfig "$K/admin.kubeconfig" --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
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
  [ -d "$BED_DIR/node" ] && down_node
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

# ---------------------------------------------------------------- registry
# The CNCF distribution registry (v3, from its Go module) on 127.0.0.1, plain HTTP, no auth: the private
# dockerd pushes to it (Docker treats 127.0.0.0/8 registries as insecure by default) and the node's
# containerd pulls from it (certs.d/hosts.toml says http, see write_node_config).

REGISTRY_PORT=${FABK8S_BED_REGISTRY_PORT:-15000}
R=$BED_DIR/registry

registry_healthy() { curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null; }

up_registry() {
  local t0; t0=$(now)
  build_group registry || return 1
  [ -f "$R/pid" ] && down_registry
  rm -rf "$R"; mkdir -p "$R/data"
  cat > "$R/config.yml" <<EOF
version: 0.1
log: {level: warn, formatter: text}
storage:
  filesystem: {rootdirectory: $R/data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$REGISTRY_PORT
EOF
  echo "+ registry serve $R/config.yml" > "$R/registry.log"
  nohup "$(part_dir registry)/bin/registry" serve "$R/config.yml" >> "$R/registry.log" 2>&1 &
  echo $! > "$R/pid"
  local end=$(( $(now) + 30 ))
  until registry_healthy; do
    if ! kill -0 "$(cat "$R/pid")" 2>/dev/null || [ "$(now)" -ge $end ]; then
      log "FAILED: the registry did not answer on 127.0.0.1:$REGISTRY_PORT; log: $R/registry.log"
      tail -n 15 "$R/registry.log" | sed 's/^/  | /' >&2
      return 1
    fi
    sleep 0.2
  done
  echo "export FABK8S_BED_REGISTRY=\"localhost:$REGISTRY_PORT\"" > "$BED_DIR/env.registry"
  write_env
  log "registry: up in $(( $(now) - t0 ))s (http://localhost:$REGISTRY_PORT, plain HTTP)"
}

down_registry() {
  if [ -f "$R/pid" ]; then
    kill "$(cat "$R/pid")" 2>/dev/null
    for _ in $(seq 1 20); do kill -0 "$(cat "$R/pid")" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$(cat "$R/pid")" 2>/dev/null
  fi
  rm -rf "$R" "$BED_DIR/env.registry"
  [ -d "$BED_DIR" ] && write_env
  return 0
}

# ---------------------------------------------------------------- node
# A real node: Debian's containerd (CRI) + runc + CNI bridge, a kubelet and a
# kube-proxy built from the kube module, registered with the kube part's
# apiserver beside the kwok nodes. Facts and settings: shared/KUBE-NODE-NOTES.md.
# The node is labelled type=real; pods reach it when their namespace carries
# the annotation scheduler.alpha.kubernetes.io/node-selector: type=real (the
# apiserver's PodNodeSelector default sends every other pod to the kwok nodes).
# To fabk8s the node looks like a kind node: a container labelled
# io.x-k8s.kind.cluster=$KIND_CLUSTER whose ctr talks to this containerd.

NODE_NAME=${FABK8S_BED_NODE_NAME:-fabk8s-node}
KIND_CLUSTER=${FABK8S_BED_KIND_CLUSTER:-fabk8s-bed}
POD_CIDR=${FABK8S_BED_POD_CIDR:-10.88.0.0/16}
KUBELET_PORT=${FABK8S_BED_KUBELET_PORT:-10250}
PROXY_HEALTHZ_PORT=$((KUBE_PORT + 3))   # 16446 (metrics on +4)
PAUSE_IMAGE=fabk8s.local/bed/pause:1
CNI_BRIDGE=fabk8s0
SYSCTLS="vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.conf.all.route_localnet net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables"
HOST_PATHS="/var/log/pods /var/log/containers /var/lib/cni /var/lib/kubelet /etc/cni /opt/cni /run/netns"

N=  # node state dir, set by node_vars
node_vars() {
  kube_vars
  N=$BED_DIR/node
  NODE_BIN=$(part_dir node)/bin
  NODE_SOCK=$N/containerd/containerd.sock
}

node_ip() { # the primary IPv4 (source address of the default route)
  ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n1
}

host_mtu() {
  local dev; dev=$(awk '$2 == "00000000" {print $1; exit}' /proc/net/route 2>/dev/null)
  if [ -n "$dev" ] && [ -r "/sys/class/net/$dev/mtu" ]; then cat "/sys/class/net/$dev/mtu"; else echo 1500; fi
}

nalive() { [ -f "$N/pids/$1" ] && kill -0 "$(cat "$N/pids/$1")" 2>/dev/null; }

nstart() { # name cmd...
  local name=$1; shift
  echo "+ $*" > "$N/logs/$name.log"
  nohup "$@" >> "$N/logs/$name.log" 2>&1 &
  echo $! > "$N/pids/$name"
}

nwait() { # description seconds process cmd...
  local what=$1 secs=$2 proc=$3; shift 3
  local end=$(( $(now) + secs ))
  while [ "$(now)" -lt $end ]; do
    "$@" >/dev/null 2>&1 && return 0
    if ! nalive "$proc"; then
      log "FAILED: $proc exited while waiting for $what; log: $N/logs/$proc.log"
      tail -n 20 "$N/logs/$proc.log" | sed 's/^/  | /' >&2
      return 1
    fi
    sleep 0.3
  done
  log "FAILED: timed out after ${secs}s waiting for $what; log: $N/logs/$proc.log"
  tail -n 20 "$N/logs/$proc.log" | sed 's/^/  | /' >&2
  return 1
}

nctr() { ctr --address "$NODE_SOCK" "$@"; }

bed_docker() { # docker against DOCKER_HOST, or the private engine of .ci/docker.sh
  if [ -z "${DOCKER_HOST:-}" ] && [ -S /tmp/fabk8s-docker.sock ]; then DOCKER_HOST=unix:///tmp/fabk8s-docker.sock docker "$@"
  else docker "$@"; fi
}

record_host_state() { # what `down` must put back: sysctls and which host paths existed
  local s p
  : > "$N/host-state"
  for s in $SYSCTLS; do
    p=/proc/sys/${s//.//}
    [ -r "$p" ] && echo "sysctl $s $(cat "$p")" >> "$N/host-state"
  done
  for p in $HOST_PATHS; do [ -e "$p" ] && echo "path $p" >> "$N/host-state"; done
  return 0
}

write_node_config() { # ip mtu
  local ip=$1 mtu=$2
  cat > "$N/containerd/config.toml" <<EOF
version = 2
root = "$N/containerd/root"
state = "$N/containerd/state"
[grpc]
  address = "$NODE_SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$N/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # these machines lack CAP_SYS_RESOURCE: without this every sandbox dies (KUBE-NODE-NOTES.md)
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$N/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$N/containerd/certs.d"
EOF
  local h
  for h in "localhost:$REGISTRY_PORT" "127.0.0.1:$REGISTRY_PORT"; do
    mkdir -p "$N/containerd/certs.d/$h"
    printf 'server = "http://%s"\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' "$h" "$h" \
      > "$N/containerd/certs.d/$h/hosts.toml"
  done
  cat > "$N/cni/net.d/10-fabk8s-bed.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "fabk8s-bed", "plugins": [
  {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true, "mtu": $mtu,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$N/cni/ipam"}},
  {"type": "firewall"},
  {"type": "portmap", "capabilities": {"portMappings": true}}
]}
EOF
  cat > "$N/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$NODE_SOCK
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $K/pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
# a test machine's disk fills up and down: never evict our pods or collect our images for it
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
maxPods: 110
EOF
  cat > "$N/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $K/admin.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$((KUBE_PORT + 4))
# no CAP_SYS_RESOURCE here: a negative oom_score_adj cannot be set
oomScoreAdj: 0
# leave the conntrack sysctls alone (no CAP_SYS_RESOURCE-free way to set them here, and not needed)
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

# a kind-node lookalike image: ctr and containerd (for `containerd config dump`) with their libraries, and
# pause as PID 1. Tagged by a hash of its inputs; made with `docker import` (no registry).
kind_node_image() {
  local ctr_bin containerd_bin h tag root b l
  ctr_bin=$(command -v ctr) && containerd_bin=$(command -v containerd) || return 1
  h=$( { sha256sum "$ctr_bin" "$containerd_bin" "$NODE_BIN/pause" | cut -d' ' -f1; echo kind-node-1; } | sha256sum | cut -c1-16)
  tag=fabk8s-bed/kind-node:$h
  if bed_docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; return 0; fi
  root=$(mktemp -d)
  mkdir -p "$root/usr/local/bin" "$root/etc/containerd" "$root/run/containerd" "$root/tmp"
  for b in "$ctr_bin" "$containerd_bin"; do
    cp -L "$b" "$root/usr/local/bin/"
    for l in $(ldd "$b" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
      cp -L --parents "$l" "$root/"
    done
  done
  cp "$NODE_BIN/pause" "$root/pause"
  tar -C "$root" --numeric-owner -cf - . | bed_docker import --change 'ENTRYPOINT ["/pause"]' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$tag" >/dev/null
  local rc=$?
  rm -rf "$root"
  [ $rc = 0 ] && echo "$tag"
}

start_kind_lookalike() {
  local tag name=$KIND_CLUSTER-control-plane
  bed_docker info >/dev/null 2>&1 || { log "node: no Docker engine answers: no kind-node lookalike (fabk8s load/up tests will skip)"; return 1; }
  tag=$(kind_node_image) || { log "FAILED: could not make the kind-node lookalike image"; return 1; }
  bed_docker rm -f "$name" >/dev/null 2>&1
  run "$N/logs/kind-lookalike.log" bed_docker run -d --name "$name" --hostname "$name" \
    --label "io.x-k8s.kind.cluster=$KIND_CLUSTER" --label io.x-k8s.kind.role=control-plane \
    --label fabk8s.io/bed=node --network none \
    -v "$NODE_SOCK:/run/containerd/containerd.sock" -v "$N/containerd/config.toml:/etc/containerd/config.toml:ro" \
    "$tag" || return 1
  nwait "ctr in the kind-node lookalike" 20 containerd bed_docker exec "$name" ctr -n k8s.io version || return 1
  echo "$name"
}

kind_kubeconfig() { # the admin kubeconfig with kind's context name, so `kind.cluster: $KIND_CLUSTER` finds it
  sed -e "s/name: admin@fabk8s-bed/name: kind-$KIND_CLUSTER/" -e "s/current-context: admin@fabk8s-bed/current-context: kind-$KIND_CLUSTER/" \
    -e "s/cluster: fabk8s-bed, user: admin/cluster: kind-$KIND_CLUSTER, user: kind-$KIND_CLUSTER/" \
    -e "s/^- name: fabk8s-bed$/- name: kind-$KIND_CLUSTER/" -e "s/^- name: admin$/- name: kind-$KIND_CLUSTER/" \
    "$K/admin.kubeconfig" > "$N/kind.kubeconfig"
}

node_ready_real() { node_ready "$NODE_NAME"; }
proxy_healthy() { curl -sf "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"; }

up_node() {
  local t0; t0=$(now)
  node_vars
  if ! [ -f "$BED_DIR/env.kube" ] || ! alive kube-apiserver; then
    log "FAILED: the node needs the kube part running (bed.sh up kube)"; return 1
  fi
  ensure_apt containerd:containerd ctr:containerd runc:runc iptables:iptables conntrack:conntrack ip:iproute2 \
    /usr/lib/cni/bridge:containernetworking-plugins || return 1
  build_group node || return 1
  if [ -d "$N/pids" ]; then log "node: stopping the previous node"; down_node; fi
  rm -rf "$N"; mkdir -p "$N"/{logs,pids,containerd,cni/net.d,cni/ipam,kubelet}
  record_host_state
  local ip mtu; ip=$(node_ip); mtu=$(host_mtu)
  [ -n "$ip" ] || { log "FAILED: no primary IPv4 address (ip -4 route get 1.1.1.1)"; return 1; }
  write_node_config "$ip" "$mtu"

  nstart containerd containerd --config "$N/containerd/config.toml"
  nwait "containerd" 30 containerd nctr version || return 1
  "$NODE_BIN/pause" image "$PAUSE_IMAGE" "$N/pause.tar" && run "$N/logs/images.log" nctr -n k8s.io images import "$N/pause.tar" || return 1

  nstart kubelet "$NODE_BIN/kubelet" --config "$N/kubelet.yaml" --kubeconfig "$K/admin.kubeconfig" \
    --root-dir "$N/kubelet" --cert-dir "$N/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$ip" \
    --node-labels "type=real" --v 1
  nwait "node $NODE_NAME Ready" 90 kubelet node_ready_real || return 1
  nstart kube-proxy "$NODE_BIN/kube-proxy" --config "$N/kube-proxy.yaml" --v 1
  nwait "kube-proxy healthz" 30 kube-proxy proxy_healthy || return 1

  local lookalike=""
  lookalike=$(start_kind_lookalike) || lookalike=""
  kind_kubeconfig
  {
    echo "export FABK8S_BED_NODE_NAME=\"$NODE_NAME\""
    echo "export FABK8S_BED_NODE_IP=\"$ip\""
    echo "export FABK8S_BED_NODE_SELECTOR=\"type=real\""
    echo "export FABK8S_BED_CONTAINERD_SOCK=\"$NODE_SOCK\""
    echo "export FABK8S_BED_POD_CIDR=\"$POD_CIDR\""
    echo "export FABK8S_BED_KIND_KUBECONFIG=\"$N/kind.kubeconfig\""
    if [ -n "$lookalike" ]; then
      echo "export FABK8S_BED_KIND_CLUSTER=\"$KIND_CLUSTER\""
      echo "export FABK8S_BED_KIND_NODE=\"$lookalike\""
    fi
  } > "$BED_DIR/env.node"
  write_env
  log "node: up in $(( $(now) - t0 ))s (node $NODE_NAME at $ip, containerd $NODE_SOCK${lookalike:+, kind cluster $KIND_CLUSTER})"
}

nkapi_ok() { [ -f "$K/pki/admin.crt" ] && alive kube-apiserver; }

drain_node() { # cordon, delete the node's pods, wait (20 s at most) until containerd runs no task
  nkapi_ok || return 0
  kapi PATCH "/api/v1/nodes/$NODE_NAME" -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"unschedulable":true}}' >/dev/null 2>&1
  local ns name
  kapi GET "/api/v1/pods?fieldSelector=spec.nodeName%3D$NODE_NAME" 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      try { for (const p of JSON.parse(s).items ?? []) console.log(p.metadata.namespace + " " + p.metadata.name) } catch {}
    })' | while read -r ns name; do
    [ -n "$name" ] && kapi DELETE "/api/v1/namespaces/$ns/pods/$name?gracePeriodSeconds=0" >/dev/null 2>&1
  done
  local end=$(( $(now) + 20 ))
  while [ "$(now)" -lt $end ]; do
    [ -z "$(nctr -n k8s.io tasks ls -q 2>/dev/null)" ] && break
    sleep 0.5
  done
}

iptables_cleanup() { # remove every KUBE-* and CNI-* chain and the rules that jump to them
  local ipt t line chains c
  for ipt in iptables ip6tables; do
    command -v $ipt >/dev/null 2>&1 || continue
    for t in filter nat mangle raw; do
      $ipt -t $t -S >/dev/null 2>&1 || continue
      $ipt -t $t -S 2>/dev/null | grep -E '^-A .* -j (KUBE|CNI)-' | sed 's/^-A/-D/' | while read -r line; do
        eval "$ipt -t $t $line" 2>/dev/null
      done
      chains=$($ipt -t $t -S 2>/dev/null | sed -n 's/^-N \(\(KUBE\|CNI\)-[^ ]*\)$/\1/p')
      for c in $chains; do $ipt -t $t -F "$c" 2>/dev/null; done
      for c in $chains; do $ipt -t $t -X "$c" 2>/dev/null; done
    done
  done
}

restore_host_state() {
  local kind a b p
  [ -f "$N/host-state" ] || return 0
  while read -r kind a b; do
    [ "$kind" = sysctl ] && echo "$b" > "/proc/sys/${a//.//}" 2>/dev/null
  done < "$N/host-state"
  for p in $HOST_PATHS; do
    grep -qx "path $p" "$N/host-state" && continue
    [ -e "$p" ] || continue
    if [ "$p" = /run/netns ]; then
      for f in /run/netns/cni-*; do [ -e "$f" ] && { umount "$f" 2>/dev/null; rm -f "$f"; }; done
      rmdir /run/netns 2>/dev/null
    else
      rm -rf "$p"
    fi
  done
}

down_node() {
  node_vars
  if [ -d "$N" ]; then
    bed_docker rm -f "$KIND_CLUSTER-control-plane" >/dev/null 2>&1
    nalive containerd && drain_node
    local p
    if nalive kube-proxy; then kill "$(cat "$N/pids/kube-proxy")" 2>/dev/null; fi
    nalive kubelet && kill "$(cat "$N/pids/kubelet")" 2>/dev/null
    for _ in $(seq 1 20); do nalive kubelet || nalive kube-proxy || break; sleep 0.25; done
    if nalive containerd; then
      local t
      for t in $(nctr -n k8s.io tasks ls -q 2>/dev/null); do nctr -n k8s.io tasks kill -s SIGKILL "$t" 2>/dev/null; done
      sleep 0.5
      for t in $(nctr -n k8s.io tasks ls -q 2>/dev/null); do nctr -n k8s.io tasks delete -f "$t" 2>/dev/null; done
      for t in $(nctr -n k8s.io containers ls -q 2>/dev/null); do nctr -n k8s.io containers delete "$t" 2>/dev/null; done
      kill "$(cat "$N/pids/containerd")" 2>/dev/null
      for _ in $(seq 1 20); do nalive containerd || break; sleep 0.25; done
    fi
    for p in "$N"/pids/*; do [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null; done
    pkill -9 -f "containerd-shim-runc-v2 -namespace k8s.io -address $NODE_SOCK" 2>/dev/null
    [ -x "$NODE_BIN/kube-proxy" ] && "$NODE_BIN/kube-proxy" --cleanup >/dev/null 2>&1
    iptables_cleanup
    ip link del "$CNI_BRIDGE" 2>/dev/null
    # mounts under the state dir (pod volumes, sandboxes' shm, rootfs), deepest first
    awk -v d="$N/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r p; do umount -l "$p" 2>/dev/null; done
    local cg
    for cg in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
      [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    restore_host_state
    nkapi_ok && kapi DELETE "/api/v1/nodes/$NODE_NAME" >/dev/null 2>&1
    if [ -d "$BED_DIR/logs" ]; then rm -rf "$BED_DIR/logs/node"; cp -r "$N/logs" "$BED_DIR/logs/node" 2>/dev/null; fi
    rm -rf "$N"
  fi
  rm -f "$BED_DIR/env.node"
  [ -d "$BED_DIR" ] && write_env
  return 0
}

node_status() {
  node_vars
  echo "node:"
  if [ -d "$N/pids" ]; then
    for p in containerd kubelet kube-proxy; do
      if nalive $p; then echo "  $p: up"; else echo "  $p: DOWN"; fi
    done
  else echo "  not running"; fi
}

# ---------------------------------------------------------------- main

cmd=${1:-}; part=${2:-all}
case $part in all|fabric|kube|registry|node) ;; *) echo "unknown part '$part' (fabric|kube|registry|node)" >&2; exit 2 ;; esac
groups() { if [ "$part" = all ]; then echo "fabric kube registry node"; else echo "$part"; fi; }
groups_down() { if [ "$part" = all ]; then echo "node registry kube fabric"; else echo "$part"; fi; }

case $cmd in
  build)
    rc=0; for g in $(groups); do build_group "$g" || { log "$g: build failed"; rc=1; }; done; exit $rc ;;
  up)
    mkdir -p "$BED_DIR/logs"; rc=0; ok=()
    for g in $(groups); do
      if "up_$g"; then ok+=("$g"); else
        log "$g: NOT started (see above); continuing"; rc=1
        [ "$g" = kube ] && stop_kube  # keeps $BED_DIR/kube/logs; fabric: up_fabric already ran fabnet down
        [ "$g" = node ] && down_node  # undoes what did start; keeps the logs in $BED_DIR/logs/node
      fi
    done
    write_env
    log "up: started now: ${ok[*]:-nothing}; env file: $ENV_FILE (source it)"
    exit $rc ;;
  down)
    for g in $(groups_down); do "down_$g"; done
    [ "$part" = all ] && rm -rf "$BED_DIR"
    exit 0 ;;
  env) echo "$ENV_FILE" ;;
  status) status; echo "registry:"; if registry_healthy; then echo "  registry: up (localhost:$REGISTRY_PORT)"; else echo "  not running"; fi; node_status ;;
  *) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
