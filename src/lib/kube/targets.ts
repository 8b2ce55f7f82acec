import type {ProjectConfig} from '../project/schema.js'

/**
 * Which chaincode Deployments (each with its Service) a fabk8s.yaml asks for. Usually one, named after the Service
 * the peers dial: the first label of chaincode.address when its host is a cluster name (`kv`, `kv.<ns>`,
 * `kv.<ns>.svc…`), else (an IP, a node or ingress host name) after the chaincode. When chaincode.address uses the
 * ccaas builder's `{{.peername}}` (the test-network-k8s pattern), each peer dials its own address, so there is one
 * per peer name (network.orgs[].peers[].peername), named after the first label of the address that peer dials:
 * `{{.peername}}-mycc.fabk8s.svc.cluster.local:9999` with peername peer0org1 → Deployment and Service
 * `peer0org1-mycc` in namespace fabk8s. The package (connection.json keeps the template text) and so the package ID
 * stay one. Pure: no cluster.
 */
import {FabError} from '../errors.js'
import {renderPeerAddress, usesPeername} from '../project/schema.js'

export interface ChaincodeTarget {
  /** host:port the peers dial (the builder's rendering of chaincode.address). */
  address: string
  /**
   * The MSP ID of the org whose peers dial it, when that is one org: the pods get it as CORE_PEER_LOCALMSPID, which
   * a peer gives the chaincode it launches and `shim.GetMSPID()` (Go; `ctx.stub.getMspID()` in Node) reads. Private
   * data contracts compare it with the client's org. Undefined when peers of several orgs dial the same pods.
   */
  mspId?: string
  /** Name of the Deployment and of the Service. */
  name: string
  /** The builder peername this Deployment serves (one Deployment per peer name); undefined for the single one. */
  peername?: string
  /** Addresses (fabk8s.yaml network) of the peers that dial it; empty for the single one. */
  peers: string[]
}

/** The host of host:port. */
const hostOf = (address: string) => address.slice(0, address.lastIndexOf(':'))

/**
 * The Service a host names in the cluster's DNS, and its namespace when the host names one: `x` (a Service of the
 * peer's own namespace), `x.<ns>`, `x.<ns>.svc…`. Undefined for hosts the cluster's DNS does not answer for a
 * Service: IP addresses, localhost, node, ingress and other outside names.
 */
function clusterService(host: string): undefined | {name: string; namespace?: string} {
  const labels = host.toLowerCase().split('.')
  if (host === 'localhost' || /^[\d.]+$/.test(host) || host.includes(':')) return undefined
  if (labels.length > 2 && labels[2] !== 'svc') return undefined
  if (!labels.every((l) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(l))) return undefined
  return {name: labels[0], namespace: labels[1]}
}

/** A target's address that names another namespace than the one its Service goes to: the peers would not find it. */
function checkNamespace(address: string, named: string | undefined, namespace: string): void {
  if (named !== undefined && named !== namespace)
    throw new FabError(
      'USAGE',
      `chaincode.address ${address} names namespace ${named}, but the chaincode goes to namespace ${namespace}: the peers would dial Services that are not there`,
      {hint: `deploy to ${named} (kubernetes.namespace or -n), or change the namespace in chaincode.address`},
    )
}

/** The org of the one Deployment that serves every peer: known only when network lists one org. */
export function singleTargetMspId(project: ProjectConfig): string | undefined {
  const orgs = project.network?.orgs ?? []
  return orgs.length === 1 ? orgs[0].mspId : undefined
}

/**
 * The Deployments to run, in a stable order (peer names as fabk8s.yaml first lists them). `namespace` is where
 * they go: an address that names another namespace (`x.<ns>` or `x.<ns>.svc…`) is an error, since the peers would
 * dial Services that are not there.
 */
export function chaincodeTargets(project: ProjectConfig, namespace: string): ChaincodeTarget[] {
  const {address} = project.chaincode
  if (!usesPeername(address)) {
    const service = clusterService(hostOf(address))
    checkNamespace(address, service?.namespace, namespace)
    const mspId = singleTargetMspId(project)
    return [{address, ...(mspId ? {mspId} : {}), name: service?.name ?? project.name, peers: []}]
  }

  const byName = new Map<string, ChaincodeTarget>()
  const orgsOf = new Map<string, Set<string>>()
  for (const org of project.network?.orgs ?? [])
    for (const peer of org.peers) {
      // the schema requires a peername on every peer when the address uses {{.peername}}
      if (!peer.peername) continue
      const rendered = renderPeerAddress(address, peer.peername)
      const target = byName.get(peer.peername) ?? {
        address: rendered,
        name: hostOf(rendered).split('.')[0],
        peername: peer.peername,
        peers: [],
      }
      target.peers.push(peer.address)
      byName.set(peer.peername, target)
      orgsOf.set(peer.peername, (orgsOf.get(peer.peername) ?? new Set()).add(org.mspId))
    }

  for (const [peername, target] of byName) {
    const orgs = [...orgsOf.get(peername)!]
    if (orgs.length === 1) target.mspId = orgs[0]
  }

  if (byName.size === 0)
    throw new FabError(
      'PROJECT',
      `${project.file}: chaincode.address uses {{.peername}} but no peer under network.orgs[].peers has a peername`,
    )
  checkNamespace(address, clusterService(hostOf([...byName.values()][0].address))?.namespace, namespace)
  return [...byName.values()]
}
