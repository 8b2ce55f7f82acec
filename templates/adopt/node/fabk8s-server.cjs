/**
 * Added by `fabk8s adopt`: starts this chaincode as a service (the peer dials us; see connection.json in the
 * package), with fabric-chaincode-node's `server` command (package fabric-shim), in this process.
 *
 * That command reads only CORE_CHAINCODE_ADDRESS, CORE_CHAINCODE_ID and CORE_CHAINCODE_TLS_*_FILE; this file
 * maps the names every fabk8s chaincode understands onto them, so one image works whatever names the manifests use:
 *   address: CHAINCODE_SERVER_ADDRESS | CORE_CHAINCODE_ADDRESS        (e.g. 0.0.0.0:{{port}})
 *   id:      CHAINCODE_ID | CORE_CHAINCODE_ID | CORE_CHAINCODE_ID_NAME (the package ID, label:hash)
 *   TLS:     CORE_CHAINCODE_TLS_{KEY,CERT,CLIENT_CACERT}_FILE | CHAINCODE_TLS_{KEY,CERT}, CHAINCODE_CLIENT_CA_CERT
 *            (CHAINCODE_TLS_DISABLED=true turns TLS off)
 * The contracts are the ones package.json "main" exports, as with `fabric-chaincode-node start`.
 */

'use strict'

const env = process.env
const first = (...names) => names.map((n) => env[n]).find((v) => v !== undefined && v !== '')

const address = first('CHAINCODE_SERVER_ADDRESS', 'CORE_CHAINCODE_ADDRESS')
const id = first('CHAINCODE_ID', 'CORE_CHAINCODE_ID', 'CORE_CHAINCODE_ID_NAME')
if (!address || !id) {
  console.error(
    'chaincode server: CHAINCODE_SERVER_ADDRESS (or CORE_CHAINCODE_ADDRESS) and CHAINCODE_ID (or CORE_CHAINCODE_ID_NAME) must be set',
  )
  process.exit(2)
}

env.CORE_CHAINCODE_ADDRESS = address
env.CORE_CHAINCODE_ID = id
delete env.CORE_CHAINCODE_ID_NAME
const tlsOff = (env.CHAINCODE_TLS_DISABLED ?? '').toLowerCase() === 'true'
const key = first('CORE_CHAINCODE_TLS_KEY_FILE', 'CHAINCODE_TLS_KEY')
const cert = first('CORE_CHAINCODE_TLS_CERT_FILE', 'CHAINCODE_TLS_CERT')
const clientCA = first('CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE', 'CHAINCODE_CLIENT_CA_CERT')
for (const n of ['CORE_CHAINCODE_TLS_KEY_FILE', 'CORE_CHAINCODE_TLS_CERT_FILE', 'CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE'])
  delete env[n]
if (!tlsOff && key && cert) {
  env.CORE_CHAINCODE_TLS_KEY_FILE = key
  env.CORE_CHAINCODE_TLS_CERT_FILE = cert
  if (clientCA) env.CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE = clientCA
}

// the package root (package.json and its "main"), wherever we are started from
env.CORE_MODULE_PATH = __dirname

// Stop promptly: as PID 1 in a container a signal without a handler is ignored, and the shim's gRPC server
// alone takes seconds to wind down. Nothing is lost: the peer retries on the next connection.
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => process.exit(0))

process.argv = [process.argv[0], 'fabric-chaincode-node', 'server']
console.log(`chaincode server: starting ${id} on ${address}${env.CORE_CHAINCODE_TLS_KEY_FILE ? ' (TLS)' : ''}`)
require('fabric-shim/cli.js')
