/**
 * Why a chaincode call got no answer, read from what the peers report: with chaincode as a service the peer dials
 * the address in connection.json, and when it cannot, every call fails with a long error (≈ 1.5 KB per peer) that
 * names the address and, at its very end, Go's reason. One plain sentence per reason, the same for every peer
 * and every retry; the raw text stays with the caller (--verbose, --json detail).
 */
export type ReachKind = 'closed' | 'no-answer' | 'peer-timeout' | 'refused' | 'resolve' | 'tls' | 'unreachable'

export interface Reach {
  /** The chaincode address the peers dial (connection.json), when the peer says it. */
  address?: string
  /** Go's reason, as the peer gave it. */
  cause: string
  hint: string
  kind: ReachKind
  /** One plain line: what is wrong. */
  message: string
  /** The peers (MSP ID and address) that said so. */
  peers: string[]
}

const OUTSIDE =
  'peers outside the cluster need an address they can reach: a NodePort or a LoadBalancer Service, set as chaincode.address in fabk8s.yaml'

/** Classify the text of a chaincode call's error; undefined when it is not about reaching the chaincode. */
export function chaincodeReach(text: string): Reach | undefined {
  const dial =
    /error creating grpc connection to (\S+?): (?:failed to create new connection: )?(.*?)(?:; \S+MSP |$)/.exec(text)
  const peers = [...text.matchAll(/(?:^|; |info: )(\S+MSP \S+?): (?:error in simulation|could not launch)/g)].map(
    (m) => m[1],
  )
  if (!dial) {
    if (/DEADLINE_EXCEEDED|deadline exceeded/i.test(text) && !/could not launch chaincode/.test(text))
      return {
        cause: text.replace(/^\d+ DEADLINE_EXCEEDED: /, '').split(',')[0],
        hint: 'a peer waits for a chaincode that connected but did not register: the pod must run CHAINCODE_ID = the installed package ID (`fabk8s status` compares them); check the chaincode logs',
        kind: 'peer-timeout',
        message: 'the peer did not answer the call in time (it is waiting for the chaincode)',
        peers,
      }
    if (/could not launch chaincode|chaincode registration failed/.test(text)) {
      const cause = /could not launch chaincode \S+: (.*?)(?:; \S+MSP |$)/.exec(text)?.[1] ?? text
      return {
        cause,
        hint: 'check the chaincode pod (`fabk8s status`) and its logs',
        kind: 'unreachable',
        message: `the peers could not start the chaincode connection (${cause.slice(0, 200)})`,
        peers,
      }
    }

    return undefined
  }

  const address = dial[1]
  const cause = dial[2]
    .replace(/^connection error: desc = "transport: /, '')
    .replace(/"$/, '')
    .trim()
  const at = `the peers cannot reach the chaincode at ${address}`
  const host = address.replace(/:\d+$/, '')
  if (/no such host|lookup .* (server misbehaving|no such host|i\/o timeout)/i.test(cause))
    return {
      address,
      cause,
      hint: `peers must reach the chaincode Service at that address (in the cluster: <name>.<namespace>.svc.cluster.local, which resolves only inside it); ${OUTSIDE}`,
      kind: 'resolve',
      message: `${at} (the name ${host} does not resolve on the peer)`,
      peers,
    }
  if (/connection refused/i.test(cause))
    return {
      address,
      cause,
      hint: 'is the chaincode running and its Service on that port? (`fabk8s status`); the port in chaincode.address must be the Service port',
      kind: 'refused',
      message: `${at} (connection refused: nothing listens there)`,
      peers,
    }
  if (/x509|certificate|tls:|handshake/i.test(cause))
    return {
      address,
      cause,
      hint: 'the chaincode server TLS settings must match chaincode.tls in fabk8s.yaml (server certificate for that host name, client auth); redeploy after changing them',
      kind: 'tls',
      message: `${at} (TLS handshake failed: ${cause})`,
      peers,
    }
  if (/context deadline exceeded|i\/o timeout/i.test(cause))
    return {
      address,
      cause,
      hint: `no chaincode answered there within connection.json dial_timeout: a firewall or NetworkPolicy drops the connection, the chaincode is not up yet, or TLS differs (the peer uses TLS when chaincode.tls is on, and the server must too); ${OUTSIDE}`,
      kind: 'no-answer',
      message: `${at} (no answer within the dial timeout)`,
      peers,
    }
  if (/closed network connection|connection reset|EOF|broken pipe/i.test(cause))
    return {
      address,
      cause,
      hint: 'something other than the chaincode server answers at that address, or the TLS settings differ (chaincode.tls)',
      kind: 'closed',
      message: `${at} (the connection was closed: ${cause})`,
      peers,
    }
  return {
    address,
    cause,
    hint: `check the chaincode pod (\`fabk8s status\`) and that the peers can connect to ${address}`,
    kind: 'unreachable',
    message: `${at} (${cause})`,
    peers,
  }
}
