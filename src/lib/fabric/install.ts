/**
 * `lifecycle install`: the package on every selected peer, in parallel; "already installed" is success. Every peer's
 * install runs to its end: one peer that fails (unreachable, access denied) does not stop the others.
 */
import type {ProjectConfig} from '../project/schema.js'
import type {PackageRef} from './package-file.js'

import {FabError, messageOf} from '../errors.js'
import {installOnPeer, type InstallResult} from './lifecycle.js'
import {allPeers} from './plan.js'
import {withSession} from './session.js'

export interface InstallAllResult {
  label: string
  packageId: string
  peers: InstallResult[]
}

/**
 * Some installs failed: one error with each failed peer's own (it names the peer) and what the other peers did. A
 * single install that failed is its own error.
 */
export function installsFailed(done: InstallResult[], failed: {address: string; error: unknown}[]): FabError {
  const first = failed[0].error as Partial<FabError>
  const ok = done.map((d) => `${d.address} ${d.installed ? 'installed' : 'already installed'}`)
  if (failed.length === 1 && ok.length === 0 && first instanceof FabError) return first
  const detail = {
    ...first.detail,
    peers: Object.fromEntries([
      ...done.map((d) => [d.address, d.installed ? 'installed' : 'already installed']),
      ...failed.map((f) => [f.address, messageOf(f.error)]),
    ]),
  }
  const message = [...failed.map((f) => messageOf(f.error)), ...(ok.length > 0 ? [ok.join(', ')] : [])].join('; ')
  return new FabError(first.code ?? 'FABRIC', message, {cause: first, detail, hint: first.hint})
}

export async function installAll(
  project: ProjectConfig,
  pkg: PackageRef,
  o: {orgs?: string[]; peers?: string[]} = {},
): Promise<InstallAllResult> {
  return withSession(project.network, async (s) => {
    const targets = allPeers(s, {org: o.orgs, peer: o.peers})
    // side by side, each to its end: a peer that fails does not cut the others' installs short
    const settled = await Promise.allSettled(targets.map(({org, peer}) => installOnPeer(s, org, peer, pkg)))
    const peers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    const failed = settled.flatMap((r, i) =>
      r.status === 'rejected' ? [{address: targets[i].peer.address, error: r.reason as unknown}] : [],
    )
    if (failed.length > 0) throw installsFailed(peers, failed)
    return {label: pkg.label, packageId: pkg.packageId, peers}
  })
}
