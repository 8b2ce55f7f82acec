/**
 * `fabk8s register` as a task list: install (every peer) ∥ plan → approve (every org) → commit. Installs and
 * approvals overlap: an approval needs only the package ID, known before any install. Idempotent: what is in
 * place is left alone. The caller passes the package in (built once per run).
 */
import type {ProjectConfig} from '../project/schema.js'
import type {TaskList} from '../tasks.js'
import type {DefinitionOverrides} from './definition.js'
import type {PackageRef} from './package-file.js'

import {approveIfNeeded, type ApproveOutcome} from './approve.js'
import {commit, installOnPeer, type InstallResult} from './lifecycle.js'
import {allPeers, type Plan, planDefinition} from './plan.js'
import {withSessionTasks} from './session.js'

export interface RegisterResult {
  /** Orgs whose approval was sent in this run. */
  approved: string[]
  channel: string
  /** Whether a commit was sent in this run. */
  committed: boolean
  /** Peer addresses the package was newly installed on in this run. */
  installed: string[]
  label: string
  name: string
  packageId: string
  sequence: number
  /** Nothing was changed: everything was in place already. */
  upToDate: boolean
}

const short = (id: string) => id.replace(/:(\w{12})\w+$/, ':$1…')

export function registerTasks(
  project: ProjectConfig,
  pkg: PackageRef,
  overrides: DefinitionOverrides = {},
): TaskList<RegisterResult> {
  return withSessionTasks(project.network, (s) => {
    const {network} = s
    const approvals: ApproveOutcome[] = []
    const installs: InstallResult[] = []
    let commitTx: undefined | {txId?: string; validation?: string}
    let plan: Plan | undefined
    return {
      interrupted() {
        const installed = installs.filter((i) => i.installed).length
        const approved = approvals.filter((a) => a.approved).map((a) => a.mspId)
        const done = [
          installed > 0 ? `installed on ${installed} peer(s)` : '',
          approved.length > 0 ? `approved by ${approved.join(', ')}` : '',
          commitTx ? 'committed' : '',
        ].filter(Boolean)
        // a transaction in flight when interrupted may still commit: the next run sees it and leaves it alone
        return done.length > 0
          ? `${done.join(', ')}; the rest may or may not have been sent`
          : 'nothing was confirmed sent'
      },
      result() {
        const installed = installs.filter((i) => i.installed).map((i) => i.address)
        const approved = approvals.filter((a) => a.approved).map((a) => a.mspId)
        return {
          approved,
          channel: network.channel,
          committed: Boolean(commitTx),
          installed,
          label: pkg.label,
          name: project.name,
          packageId: pkg.packageId,
          sequence: plan!.plan.sequence,
          upToDate: installed.length === 0 && approved.length === 0 && !commitTx,
        }
      },
      tasks: [
        {
          async run(t) {
            t.title = `Package ${short(pkg.packageId)}`
          },
          title: 'Package',
        },
        {
          async run(t) {
            await t.run({
              concurrent: true,
              result() {},
              tasks: [
                {
                  async run(t1) {
                    await t1.run({
                      concurrent: true,
                      result() {},
                      tasks: allPeers(s).map(({org, peer}) => ({
                        async run(tt) {
                          const r = await installOnPeer(s, org, peer, pkg)
                          installs.push(r)
                          tt.title = `${org.mspId} ${peer.address}: ${r.installed ? 'installed' : 'already installed'}`
                        },
                        title: `${org.mspId} ${peer.address}`,
                      })),
                    })
                  },
                  title: 'Install on peers',
                },
                {
                  async run(t1) {
                    await t1.run({
                      result() {},
                      tasks: [
                        {
                          async run(tt) {
                            plan = await planDefinition(s, project, overrides)
                            tt.title = `Sequence ${plan.plan.sequence}: ${plan.plan.reason}`
                          },
                          title: 'Plan sequence',
                        },
                        {
                          async run(t2) {
                            await t2.run({
                              concurrent: true,
                              result() {},
                              tasks: network.orgs.map((org) => ({
                                async run(tt) {
                                  const {def, plan: p} = plan!
                                  const r = await approveIfNeeded(s, org, def, p.sequence, pkg.packageId)
                                  approvals.push(r)
                                  tt.title = `${org.mspId}: ${r.approved ? `approved (${r.validation})` : 'already approved'}`
                                },
                                title: org.mspId,
                              })),
                            })
                          },
                          title: 'Approve',
                        },
                        {
                          async run(tt) {
                            const {def, plan: p} = plan!
                            if (!p.commit) {
                              tt.skip('Commit: already committed')
                              return
                            }

                            const r = await commit(s, def, p.sequence)
                            commitTx = {txId: r.txId, validation: r.validation}
                            tt.title = `Commit sequence ${p.sequence}: ${r.validation}`
                          },
                          title: 'Commit',
                        },
                      ],
                    })
                  },
                  title: `Define on ${network.channel}`,
                },
              ],
            })
          },
          title: `Install and define ${project.name} on ${network.channel}`,
        },
      ],
    }
  })
}
