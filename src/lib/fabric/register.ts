/**
 * `fabk8s register` as a task list: install (every peer) ∥ plan → approve (every org) → commit. Installs and
 * approvals overlap: an approval needs only the package ID, known before any install. The approvals of all orgs are
 * broadcast before any is waited on, so they land in one block; the commit follows once every org's peer has
 * committed them. Connections, identities and the commit-status streams start at once and overlap packaging and
 * planning. Idempotent: what is in place is left alone. The caller passes the package in (built once per run; a
 * promise of it lets the connections start while it is built).
 */
import type {ProjectConfig} from '../project/schema.js'
import type {TaskList} from '../tasks.js'
import type {PackageRef} from './package-file.js'

import {FabError, isFabError} from '../errors.js'
import {type Mark, Timeline} from '../timeline.js'
import {approvalsFailed, approveOrg, type ApproveOutcome} from './approve.js'
import {channelPolicy, type ChannelPolicy, commitRoute, orNone} from './channel.js'
import {approvalNeeded, type DefinitionOverrides} from './definition.js'
import {installsFailed} from './install.js'
import {checkCommitReadiness, commit, installOnPeer, type InstallResult, queryApproved} from './lifecycle.js'
import {allPeers, type Plan, planDefinition} from './plan.js'
import {type FabricSession, withSessionTasks} from './session.js'

export interface RegisterResult {
  /** Orgs whose approval was sent in this run. */
  approved: string[]
  /** Something was done in this run (an install, an approval or the commit); false: everything was in place already. */
  changed: boolean
  channel: string
  /** Whether a commit was sent in this run. */
  committed: boolean
  /** Peer addresses the package was newly installed on in this run (as fabk8s.yaml lists them). */
  installedOn: string[]
  label: string
  name: string
  packageId: string
  sequence: number
  /** With --verbose: milestones in ms since the process started (where the time goes). */
  timings?: Mark[]
}

const short = (id: string) => id.replace(/:(\w{12})\w+$/, ':$1…')

/**
 * The error of a register whose definition (plan, approvals or commit) or some installs failed, once every side has
 * run to its end. Installs that failed: each failed peer's error and what the other peers did, then what was done of
 * the definition, or its own error when it failed too (that error first: it says what to do next). Peers and orgs as
 * fabk8s.yaml lists them (`order`: peer addresses and MSP IDs), not as their calls happened to end.
 */
function registerFailed(
  o: {
    approvals: ApproveOutcome[]
    commitTx: undefined | {txId?: string; validation?: string}
    defineError?: unknown
    failed: {address: string; error: unknown}[]
    installs: InstallResult[]
  },
  order: string[],
): unknown {
  const {commitTx, defineError} = o
  const rank = (key: string) => order.indexOf(key)
  if (o.failed.length === 0) {
    // the installs that went through stay: under --json too, the error says where the package now is
    const installedOn = o.installs.filter((i) => i.installed).map((i) => i.address)
    if (installedOn.length === 0 || !isFabError(defineError)) return defineError
    return new FabError(defineError.code, defineError.message, {
      cause: defineError,
      detail: {...defineError.detail, installedOn: installedOn.sort((a, b) => rank(a) - rank(b))},
      hint: defineError.hint,
    })
  }

  const e = installsFailed(
    [...o.installs].sort((a, b) => rank(a.address) - rank(b.address)),
    [...o.failed].sort((a, b) => rank(a.address) - rank(b.address)),
  )
  if (defineError !== undefined) {
    // an error that is not fabk8s's own (a bug) stays as it is
    if (!isFabError(defineError)) return defineError
    return new FabError(defineError.code, `${defineError.message}; and ${e.message}`, {
      cause: defineError,
      detail: {...defineError.detail, peers: e.detail?.peers ?? {[o.failed[0].address]: e.message}},
      hint: defineError.hint,
    })
  }

  const approved = o.approvals
    .filter((a) => a.approved)
    .map((a) => a.mspId)
    .sort((a, b) => rank(a) - rank(b))
  const done = [
    approved.length > 0 ? `approved by ${approved.join(', ')}` : '',
    commitTx ? `committed (${commitTx.validation})` : '',
  ].filter(Boolean)
  if (done.length === 0) return e
  return new FabError(e.code, `${e.message}; the definition was ${done.join(' and ')}`, {
    cause: e.cause,
    detail: {...e.detail, approved, committed: Boolean(commitTx)},
    hint: e.hint,
  })
}

export interface RegistrationPlan extends Plan {
  /** Per org of fabk8s.yaml: why it must approve, or undefined when its approval is in place. */
  orgs: {mspId: string; need?: string}[]
}

/**
 * The sequence plan and what each org must approve, in one round of queries: the committed definition and each
 * org's latest approval (sequence 0 asks _lifecycle for the latest) at once. Only when an org's latest approval is
 * newer than the planned sequence is that sequence asked for again.
 */
export async function planRegistration(
  s: FabricSession,
  project: ProjectConfig,
  packageId: string,
  o: DefinitionOverrides & {sequence?: number} = {},
): Promise<RegistrationPlan> {
  const [base, latest] = await Promise.all([
    planDefinition(s, project, {...o, check: true}),
    Promise.all(s.network.orgs.map((org) => queryApproved(s, org, project.name, 0))),
  ])
  const {def, plan} = base
  const orgs = await Promise.all(
    s.network.orgs.map(async (org, i) => {
      let approved = latest[i]
      // the latest approval is the next sequence's: the planned one may still be approved as it should
      if (approved && approved.sequence > plan.sequence)
        approved = await queryApproved(s, org, project.name, plan.sequence)
      return {mspId: org.mspId, need: approvalNeeded(approved, def, plan.sequence, packageId)}
    }),
  )
  return {...base, orgs}
}

export function registerTasks(
  project: ProjectConfig,
  pkgIn: PackageRef | Promise<PackageRef>,
  overrides: DefinitionOverrides = {},
  opts: {verbose?: boolean} = {},
): TaskList<RegisterResult> {
  const tl = new Timeline()
  tl.mark('register: start')
  const trace = (what: string) => (step: string) => tl.mark(`${what}: ${step}`)
  return withSessionTasks(project.network, (s) => {
    const {network} = s
    const peers = allPeers(s)
    const approvals: ApproveOutcome[] = []
    const approvalErrors: {error: unknown; mspId: string}[] = []
    const installs: InstallResult[] = []
    const installErrors: {address: string; error: unknown}[] = []
    // the definition's failure (plan, approvals or commit), reported once every install has run to its end
    let defineError: unknown
    let commitTx: undefined | {txId?: string; validation?: string}
    let plan: RegistrationPlan | undefined
    let pkg: PackageRef | undefined
    // every later step needs these; started now, they overlap packaging and planning (a failure surfaces in the
    // step that awaits it, with its own message)
    const warm = Promise.all([...network.orgs.map((o) => s.watcher(o)), s.connect(network.orderer)])
    warm.then(() => tl.mark('connected: peers, orderer, commit-status streams')).catch(() => {})
    // The installs wait until every org's approval is on its way to the orderer (or is not needed, or failed): an
    // install runs the peer's external builder, whose processes would slow the planning queries and endorsements on
    // the way to the first block. Started then, the installs run while the orderer cuts the blocks. When the
    // definition fails before any approval is on its way (the plan's queries failed), there are none.
    let openInstalls!: (go: boolean) => void
    const installsMayStart = new Promise<boolean>((resolve) => {
      openInstalls = resolve
    })
    const sent = new Set<string>()
    const approvalSent = (mspId: string) => {
      sent.add(mspId)
      if (sent.size < network.orgs.length) return
      openInstalls(true)
      if (plan?.plan.commit) channelCheck()
    }

    // The channel's orgs (CheckCommitReadiness lists them all) and, when some are not in fabk8s.yaml, its
    // LifecycleEndorsement policy: asked while the orderer cuts the approvals' block, so that it costs the commit no
    // time. A query that fails leaves the commit to go as before (its error then says why it failed).
    const ours = network.orgs.map((o) => o.mspId)
    let check: Promise<ChannelPolicy | undefined> | undefined
    const channelCheck = () => {
      check ??= orNone((async () => channelPolicy(s, await checkCommitReadiness(s, plan!.def, plan!.plan.sequence)))())
      return check
    }

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
        tl.mark('register: done')
        const order = peers.map((x) => x.peer.address)
        const installedOn = installs
          .filter((i) => i.installed)
          .map((i) => i.address)
          .sort((a, b) => order.indexOf(a) - order.indexOf(b))
        const approved = approvals.filter((a) => a.approved).map((a) => a.mspId)
        return {
          approved,
          changed: installedOn.length > 0 || approved.length > 0 || Boolean(commitTx),
          channel: network.channel,
          committed: Boolean(commitTx),
          installedOn,
          label: pkg!.label,
          name: project.name,
          packageId: pkg!.packageId,
          sequence: plan!.plan.sequence,
          ...(opts.verbose ? {timings: tl.marks} : {}),
        }
      },
      tasks: [
        {
          async run(t) {
            pkg = await pkgIn
            tl.mark('package built')
            t.title = `Package ${short(pkg.packageId)}`
          },
          title: 'Package',
        },
        {
          async run(t) {
            // each side to its end: a peer whose install fails neither cuts the other installs short nor the
            // approvals and commit in flight, and the error then says what each did
            await t.run({
              concurrent: true,
              exitOnError: false,
              result() {},
              tasks: [
                {
                  async run(t1) {
                    if (!(await installsMayStart)) {
                      t1.skip('Install on peers: not started (the definition failed)')
                      return
                    }

                    await t1.run({
                      concurrent: true,
                      exitOnError: false,
                      result() {},
                      tasks: peers.map(({org, peer}) => ({
                        async run(tt) {
                          tl.mark(`install on ${peer.address}: started`)
                          let r: InstallResult
                          try {
                            r = await installOnPeer(s, org, peer, pkg!)
                          } catch (error) {
                            installErrors.push({address: peer.address, error})
                            throw error
                          }

                          installs.push(r)
                          tl.mark(`install on ${peer.address}: ${r.installed ? 'installed' : 'already installed'}`)
                          tt.title = `${org.mspId} ${peer.address}: ${r.installed ? 'installed' : 'already installed'}`
                        },
                        title: `${org.mspId} ${peer.address}`,
                      })),
                    })
                    // shown as failed; the Define beside it still runs to its end (exitOnError: false above)
                    if (installErrors.length > 0)
                      throw new Error(`${installErrors.length} of ${peers.length} installs failed`)
                  },
                  title: 'Install on peers',
                },
                {
                  async run(t1) {
                    try {
                      await t1.run({
                        result() {},
                        tasks: [
                          {
                            async run(tt) {
                              plan = await planRegistration(s, project, pkg!.packageId, overrides)
                              tl.mark('planned: committed definition and approvals queried')
                              tt.title = `Sequence ${plan.plan.sequence}: ${plan.plan.reason}`
                            },
                            title: 'Plan sequence',
                          },
                          {
                            async run(t2) {
                              await t2.run({
                                concurrent: true,
                                // every org's approval runs to its end, so that each is reported
                                exitOnError: false,
                                result() {},
                                tasks: network.orgs.map((org) => ({
                                  async run(tt) {
                                    const {def, orgs, plan: p} = plan!
                                    const {need} = orgs.find((o) => o.mspId === org.mspId)!
                                    try {
                                      // waited on at every org's peer: each of them endorses the commit next
                                      const mark = trace(`approve ${org.mspId}`)
                                      const r = await approveOrg(
                                        s,
                                        org,
                                        {def, need, packageId: pkg!.packageId, sequence: p.sequence},
                                        {
                                          trace(step) {
                                            mark(step)
                                            if (step.startsWith('ordered')) approvalSent(org.mspId)
                                          },
                                          waitOn: network.orgs,
                                        },
                                      )
                                      approvals.push(r)
                                      tt.title = `${org.mspId}: ${r.approved ? `approved (${r.validation})` : 'already approved'}`
                                    } catch (error) {
                                      approvalErrors.push({error, mspId: org.mspId})
                                      throw error
                                    } finally {
                                      approvalSent(org.mspId)
                                    }
                                  },
                                  title: org.mspId,
                                })),
                              })
                              if (approvalErrors.length > 0) throw approvalsFailed(approvals, approvalErrors)
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

                              // a channel with orgs outside fabk8s.yaml: endorsed by their peers too (through a
                              // gateway) when the policy needs them, or not sent when it cannot be met yet
                              let gateway: string[] | undefined
                              const cp = await channelCheck()
                              if (cp) {
                                // as they are now: the first answer came before the approvals' block was committed
                                const approvals = await checkCommitReadiness(s, def, p.sequence)
                                gateway = commitRoute(s, project.name, p.sequence, cp, approvals, ours)?.gateway
                              }

                              // every org of fabk8s.yaml has approved by now (it had, or its approval committed VALID)
                              const approved = Object.fromEntries(ours.map((m) => [m, true]))
                              const r = await commit(s, def, p.sequence, {
                                approvals: approved,
                                gateway,
                                trace: trace('commit'),
                              })
                              commitTx = {txId: r.txId, validation: r.validation}
                              tt.title = `Commit sequence ${p.sequence}: ${r.validation}`
                            },
                            title: 'Commit',
                          },
                        ],
                      })
                    } catch (error) {
                      defineError = error
                      throw error
                    } finally {
                      openInstalls(sent.size > 0)
                    }
                  },
                  title: `Define on ${network.channel}`,
                },
              ],
            })
            if (defineError !== undefined || installErrors.length > 0)
              throw registerFailed({approvals, commitTx, defineError, failed: installErrors, installs}, [
                ...peers.map((x) => x.peer.address),
                ...network.orgs.map((org) => org.mspId),
              ])
          },
          title: `Install and define ${project.name} on ${network.channel}`,
        },
      ],
    }
  })
}
