#!/bin/sh
# Added by `fabk8s adopt`: starts this chaincode as a service (the peer dials it; see connection.json in the
# package) with fabric-chaincode-java's own entry point, org.hyperledger.fabric.contract.ContractRouter, which
# serves when CHAINCODE_SERVER_ADDRESS is set and reads its package ID from CORE_CHAINCODE_ID_NAME and its TLS pair
# from CORE_TLS_CLIENT_{KEY,CERT}_FILE (with CORE_PEER_TLS_ENABLED=true). This maps the names every fabk8s
# chaincode understands onto those, so one image works whatever names the manifests use:
#   address: CHAINCODE_SERVER_ADDRESS | CORE_CHAINCODE_ADDRESS        (e.g. 0.0.0.0:{{port}})
#   id:      CHAINCODE_ID | CORE_CHAINCODE_ID | CORE_CHAINCODE_ID_NAME (the package ID, label:hash)
#   TLS:     CORE_CHAINCODE_TLS_KEY_FILE | CHAINCODE_TLS_KEY | CORE_TLS_CLIENT_KEY_FILE, and the same for CERT;
#            CHAINCODE_TLS_DISABLED=true turns TLS off
# ContractRouter never asks the peer for a client certificate: a client CA (CHAINCODE_CLIENT_CA_CERT,
# CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE) only brings a warning.
set -eu
first() { for v in "$@"; do if [ -n "$v" ]; then printf '%s' "$v"; return; fi; done; }

CHAINCODE_SERVER_ADDRESS=$(first "${CHAINCODE_SERVER_ADDRESS:-}" "${CORE_CHAINCODE_ADDRESS:-}")
CORE_CHAINCODE_ID_NAME=$(first "${CHAINCODE_ID:-}" "${CORE_CHAINCODE_ID:-}" "${CORE_CHAINCODE_ID_NAME:-}")
if [ -z "$CHAINCODE_SERVER_ADDRESS" ] || [ -z "$CORE_CHAINCODE_ID_NAME" ]; then
  echo "chaincode server: CHAINCODE_SERVER_ADDRESS (or CORE_CHAINCODE_ADDRESS) and CHAINCODE_ID (or CORE_CHAINCODE_ID_NAME) must be set" >&2
  exit 2
fi
export CHAINCODE_SERVER_ADDRESS CORE_CHAINCODE_ID_NAME

key=$(first "${CORE_CHAINCODE_TLS_KEY_FILE:-}" "${CHAINCODE_TLS_KEY:-}" "${CORE_TLS_CLIENT_KEY_FILE:-}")
cert=$(first "${CORE_CHAINCODE_TLS_CERT_FILE:-}" "${CHAINCODE_TLS_CERT:-}" "${CORE_TLS_CLIENT_CERT_FILE:-}")
case "${CHAINCODE_TLS_DISABLED:-}" in [Tt][Rr][Uu][Ee]) key= ;; esac
tls=off
if [ -n "$key" ] && [ -n "$cert" ]; then
  tls=on
  export CORE_PEER_TLS_ENABLED=true CORE_TLS_CLIENT_KEY_FILE="$key" CORE_TLS_CLIENT_CERT_FILE="$cert"
  # ContractRouter insists on these (its client-mode settings) even as a server
  export CORE_TLS_CLIENT_KEY_PATH="${CORE_TLS_CLIENT_KEY_PATH:-$key}" CORE_TLS_CLIENT_CERT_PATH="${CORE_TLS_CLIENT_CERT_PATH:-$cert}"
  export CORE_PEER_TLS_ROOTCERT_FILE="${CORE_PEER_TLS_ROOTCERT_FILE:-$cert}"
  if [ -n "$(first "${CHAINCODE_CLIENT_CA_CERT:-}" "${CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE:-}")" ]; then
    echo "chaincode server: warning: a client CA is set, but fabric-chaincode-java's server does not ask the peer for a client certificate" >&2
  fi
else
  export CORE_PEER_TLS_ENABLED=false
fi

echo "chaincode server: starting $CORE_CHAINCODE_ID_NAME on $CHAINCODE_SERVER_ADDRESS (tls $tls)"
# exec: java is PID 1 and gets SIGTERM itself (the JVM stops its gRPC server in a shutdown hook)
exec java -XX:+UseSerialGC -XX:MaxRAMPercentage=50 ${JAVA_OPTS:-} -cp '/app/lib/*' org.hyperledger.fabric.contract.ContractRouter
