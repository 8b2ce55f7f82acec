/**
 * Read-only views of the chaincode on the channel: what `lifecycle status` shows (committed definition, approvals,
 * installs, the next step) and the part `fabk8s status` compares with the running CHAINCODE_ID.
 */
import type {ProjectConfig} from '../project/schema.js'

import {orNone} from './channel.js'
import {approvalNeeded, definitionJson, type DefinitionOverrides} from './definition.js'
import {checkCommitReadiness, queryApproved, queryInstalled} from './lifecycle.js'
import {allPeers, planDefinition} from './plan.js'
import {withSession} from './session.js'

export interface StatusResult {
  /** The committed definition's approvals, org by org ({} when none is committed). */
  approvals: Record<string, boolean>
  channel: string
  /**
   * When a commit is planned: which orgs of the channel (also those not in fabk8s.yaml) have approved the definition
   * fabk8s.yaml asks for at the planned sequence (CheckCommitReadiness); absent when no commit is planned or the
   * peer would not say.
   */
  channelApprovals?: Record<string, boolean>
  committed: null | Record<string, unknown>
  name: string
  orgs: {approved: null | Record<string, unknown>; mspId: string; upToDate: boolean}[]
  /** The project's package ID (what register would install and approve). */
  packageId: string
  peers: {address: string; hasPackage: boolean; mspId: string; packageIds: string[]}[]
  plan: {commit: boolean; reason: string; sequence: number}
}

/** The chaincode on the channel, compared with `packageId` (the package fabk8s.yaml builds). */
export async function lifecycleStatus(
  project: ProjectConfig,
  packageId: string,
  o: DefinitionOverrides = {},
): Promise<StatusResult> {
  return withSession(project.network, async (s) => {
    const [{committed, def, plan}, installed] = await Promise.all([
      planDefinition(s, project, o),
      Promise.all(
        allPeers(s).map(async ({org, peer}) => ({
          address: peer.address,
          list: await queryInstalled(s, org, peer),
          mspId: org.mspId,
        })),
      ),
    ])
    const [orgs, channelApprovals] = await Promise.all([
      Promise.all(
        s.network.orgs.map(async (org) => {
          const a = await queryApproved(s, org, project.name, plan.sequence)
          return {
            approved: a ? definitionJson(a) : null,
            mspId: org.mspId,
            upToDate: !approvalNeeded(a, def, plan.sequence, packageId),
          }
        }),
      ),
      plan.commit ? orNone(checkCommitReadiness(s, def, plan.sequence)) : undefined,
    ])
    return {
      approvals: committed?.approvals ?? {},
      channel: s.network.channel,
      ...(channelApprovals ? {channelApprovals} : {}),
      committed: committed ? definitionJson(committed) : null,
      name: project.name,
      orgs,
      packageId,
      peers: installed.map((i) => ({
        address: i.address,
        hasPackage: i.list.some((x) => x.packageId === packageId),
        mspId: i.mspId,
        packageIds: i.list.map((x) => x.packageId),
      })),
      plan: {commit: plan.commit, reason: plan.reason, sequence: plan.sequence},
    }
  })
}

export interface FabricView {
  /**
   * Package ID each org approved, null where none: at the committed sequence (what the peers run now), or before the
   * first commit at the sequence fabk8s would commit.
   */
  approved: Record<string, null | string>
  committedSequence: null | number
  error?: string
  /** Peers that have the running CHAINCODE_ID installed, and those that lack it. */
  installedOn: string[]
  missingOn: string[]
  /** A sequence after the committed one that register would approve and commit (fabk8s.yaml asks for another). */
  planned?: {reason: string; sequence: number}
}

/**
 * For `fabk8s status`: each org's approved package ID and the peers that have the running one installed, read-only.
 * `packageId` is the package fabk8s.yaml builds (for the sequence plan). A Fabric error is reported in the result,
 * not thrown, so the Kubernetes view still stands.
 */
export async function fabricView(project: ProjectConfig, packageId: string, running?: string): Promise<FabricView> {
  try {
    const st = await lifecycleStatus(project, packageId)
    const committedSequence = (st.committed?.sequence as number | undefined) ?? null
    const approved: Record<string, null | string> = {}
    for (const o of st.orgs) approved[o.mspId] = (o.approved?.packageId as string | undefined) ?? null
    const planned =
      committedSequence !== null && st.plan.sequence !== committedSequence
        ? {reason: st.plan.reason, sequence: st.plan.sequence}
        : undefined
    if (planned && committedSequence !== null)
      // st.orgs are the approvals of the planned sequence; the peers still run the committed one
      await withSession(project.network, async (s) => {
        for (const [mspId, a] of await Promise.all(
          s.network.orgs.map(
            async (org) => [org.mspId, await queryApproved(s, org, project.name, committedSequence)] as const,
          ),
        ))
          approved[mspId] = a?.packageId ?? null
      })
    const has = st.peers.filter((p) => running && p.packageIds.includes(running)).map((p) => p.address)
    return {
      approved,
      committedSequence,
      installedOn: has,
      missingOn: st.peers.filter((p) => !has.includes(p.address)).map((p) => p.address),
      ...(planned ? {planned} : {}),
    }
  } catch (error) {
    return {
      approved: {},
      committedSequence: null,
      error: (error as Error).message.split('\n')[0],
      installedOn: [],
      missingOn: [],
    }
  }
}
