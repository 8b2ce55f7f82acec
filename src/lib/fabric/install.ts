/** `lifecycle install`: the package on every selected peer, in parallel; "already installed" is success. */
import type {ProjectConfig} from '../project/schema.js'
import type {PackageRef} from './package-file.js'

import {installOnPeer, type InstallResult} from './lifecycle.js'
import {allPeers} from './plan.js'
import {withSession} from './session.js'

export interface InstallAllResult {
  label: string
  packageId: string
  peers: InstallResult[]
}

export async function installAll(
  project: ProjectConfig,
  pkg: PackageRef,
  o: {orgs?: string[]; peers?: string[]} = {},
): Promise<InstallAllResult> {
  return withSession(project.network, async (s) => {
    const peers = await Promise.all(
      allPeers(s, {org: o.orgs, peer: o.peers}).map(({org, peer}) => installOnPeer(s, org, peer, pkg)),
    )
    return {label: pkg.label, packageId: pkg.packageId, peers}
  })
}
