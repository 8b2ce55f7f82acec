import type {ProjectConfig} from '../project/schema.js'

/**
 * Which chaincode Deployments (each with its Service) a fabk8s.yaml asks for. Usually one, named after the
 * chaincode. When chaincode.address uses the ccaas builder's `{{.peername}}` (the test-network-k8s pattern), each
 * peer dials its own address, so there is one per peer name (network.orgs[].peers[].peername), named after the
 * first label of the address that peer dials: `{{.peername}}-mycc.fabk8s.svc.cluster.local:9999` with peername
 * peer0org1 → Deployment and Service `peer0org1-mycc` in namespace fabk8s. The package (connection.json keeps the
 * template text) and so the package ID stay one. Pure: no cluster.
 */
import {FabError} from '../errors.js'
import {renderPeerAddress, usesPeername} from '../project/schema.js'

export interface ChaincodeTarget {
  /** host:port the peers dial (the builder's rendering of chaincode.address). */
  address: string
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
 * The Deployments to run, in a stable order (peer names as fabk8s.yaml first lists them). `namespace` is where
 * they go: a per-peer address that names another namespace (`x.<ns>` or `x.<ns>.svc…`) is an error, since the
 * peers would dial Services that are not there.
 */
export function chaincodeTargets(project: ProjectConfig, namespace: string): ChaincodeTarget[] {
  const {address} = project.chaincode
  if (!usesPeername(address)) return [{address, name: project.name, peers: []}]
  const byName = new Map<string, ChaincodeTarget>()
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
    }

  if (byName.size === 0)
    throw new FabError(
      'PROJECT',
      `${project.file}: chaincode.address uses {{.peername}} but no peer under network.orgs[].peers has a peername`,
    )
  const labels = hostOf([...byName.values()][0].address).split('.')
  const named = labels.length === 2 || labels[2] === 'svc' ? labels[1] : undefined
  if (named !== undefined && named !== namespace)
    throw new FabError(
      'USAGE',
      `chaincode.address ${address} names namespace ${named}, but the chaincode goes to namespace ${namespace}: the peers would dial Services that are not there`,
      {hint: `deploy to ${named} (kubernetes.namespace or -n), or change the namespace in chaincode.address`},
    )
  return [...byName.values()]
}
