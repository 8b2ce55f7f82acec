import type {ListrTask} from 'listr2'

/**
 * What the lifecycle commands and `register` do, above the protocol: resolve the package and definition, plan the
 * sequence, and run install / approve / commit across every org and peer of fabk8s.yaml `network`.
 */
import {readFile} from 'node:fs/promises'

import type {OrgConfig, PeerConfig, ProjectConfig} from '../project/schema.js'

import {FabError} from '../errors.js'
import {type Mark, Timeline} from '../timeline.js'
import {runTasks} from '../ui/tasks.js'
import {
  approvalNeeded,
  type Committed,
  type Definition,
  definitionJson,
  type DefinitionOverrides,
  desiredDefinition,
  planSequence,
  type SequencePlan,
} from './definition.js'
import {
  approve,
  commit,
  installOnPeer,
  type InstallResult,
  queryApproved,
  queryCommitted,
  queryInstalled,
  type SubmitControl,
} from './lifecycle.js'
import {buildPackage, parsePackage} from './package.js'
import {FabricSession} from './session.js'

export interface PackageRef {
  bytes: Buffer
  label: string
  packageId: string
}

/** The project's package, or one read from --package FILE (checked, and its label must match unless overridden). */
export async function resolvePackage(
  project: ProjectConfig,
  opts: {file?: string; label?: string} = {},
): Promise<PackageRef> {
  if (!opts.file) {
    const p = await buildPackage(project, {label: opts.label})
    return {bytes: p.bytes, label: p.label, packageId: p.packageId}
  }

  let bytes: Buffer
  try {
    bytes = await readFile(opts.file)
  } catch {
    throw new FabError('USAGE', `--package: cannot read ${opts.file}`)
  }

  const parsed = parsePackage(bytes, opts.file)
  const expected = opts.label ?? project.label
  if (parsed.label !== expected)
    throw new FabError(
      'FABRIC',
      `${opts.file}: label mismatch: the package says "${parsed.label}", the project expects "${expected}"`,
      {
        hint: 'rebuild the package with `fabk8s lifecycle package`, or pass --label to accept this one',
      },
    )
  return {bytes, label: parsed.label, packageId: parsed.packageId}
}

/** `lifecycle package`: write <label>.tar.gz into outDir. */
export async function writePackage(
  project: ProjectConfig,
  opts: {label?: string; outDir: string},
): Promise<{file: string; label: string; packageId: string; warnings: string[]}> {
  const {mkdir, rename, rm, writeFile} = await import('node:fs/promises')
  const {join, resolve: resolvePath} = await import('node:path')
  const p = await buildPackage(project, {label: opts.label})
  const dir = resolvePath(opts.outDir)
  const file = join(dir, p.fileName)
  // atomic (temp + rename); a package holding the mTLS client key is private from its first byte
  const tmp = join(dir, `.${p.fileName}.${process.pid}.tmp`)
  try {
    await mkdir(dir, {recursive: true})
    await writeFile(tmp, p.bytes, {flag: 'wx', mode: project.chaincode.tls.clientAuth ? 0o600 : 0o666})
    await rename(tmp, file)
  } catch (error) {
    await rm(tmp, {force: true})
    throw new FabError(
      'FILESYSTEM',
      `cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    )
  }

  const warnings: string[] = []
  try {
    const raw = await readFile(project.file, 'utf8')
    if (/^\s+domain\s*:/m.test(raw))
      warnings.push(
        `${project.file}: a "domain" for connection.json is dropped by the ccaas builder; the chaincode server's TLS certificate must carry a SAN matching the host in chaincode.address`,
      )
  } catch {}

  return {file, label: p.label, packageId: p.packageId, warnings}
}

export interface Plan {
  committed?: Committed
  def: Definition
  plan: SequencePlan
}

export async function planDefinition(
  s: FabricSession,
  project: ProjectConfig,
  o: DefinitionOverrides & {sequence?: number} = {},
): Promise<Plan> {
  const [def, committed] = await Promise.all([desiredDefinition(project, o), queryCommitted(s, project.name)])
  const plan = planSequence(committed, def)
  if (o.sequence !== undefined && o.sequence !== plan.sequence) {
    plan.reason = `--sequence ${o.sequence} (planned ${plan.sequence}: ${plan.reason})`
    plan.sequence = o.sequence
    plan.commit = !committed || o.sequence > committed.sequence
  }

  return {committed, def, plan}
}

export interface ApproveOutcome {
  approved: boolean
  block?: number
  mspId: string
  reason: string
  sequence: number
  submittedVia?: string
  txId?: string
  validation?: string
}

/** Approve for one org unless its approval at that sequence already matches (definition and package). */
export async function approveIfNeeded(
  s: FabricSession,
  org: OrgConfig,
  def: Definition,
  sequence: number,
  packageId: string,
): Promise<ApproveOutcome> {
  const current = await queryApproved(s, org, def.name, sequence)
  return approveOrg(s, org, {def, need: approvalNeeded(current, def, sequence, packageId), packageId, sequence})
}

/** One org's approval when the plan says it is needed (`need`: why), else "already approved". */
export async function approveOrg(
  s: FabricSession,
  org: OrgConfig,
  {def, need, packageId, sequence}: {def: Definition; need?: string; packageId: string; sequence: number},
  c: SubmitControl = {},
): Promise<ApproveOutcome> {
  const base = {approved: false, mspId: org.mspId, reason: 'already approved', sequence}
  if (!need) return base
  const tx = await approve(s, org, def, sequence, packageId, c)
  return {
    ...base,
    approved: tx.changed,
    block: tx.block,
    reason: tx.changed ? need : base.reason,
    submittedVia: tx.submittedVia,
    txId: tx.txId,
    validation: tx.validation,
  }
}

/**
 * The approvals of several orgs run side by side; when some fail (refused, or committed INVALID), one error says which
 * org failed and why, and which were approved.
 */
export function approvalsFailed(done: ApproveOutcome[], failed: {error: unknown; mspId: string}[]): FabError {
  const ok = done.map((d) => `${d.mspId} ${d.approved ? `approved (${d.validation})` : 'already approved'}`)
  const messages = failed.map((f) => (f.error instanceof Error ? f.error.message : String(f.error)))
  const first = failed[0].error as Partial<FabError>
  const detail = {
    approvals: Object.fromEntries([
      ...done.map((d) => [d.mspId, d.validation ?? 'already approved']),
      ...failed.map((f, i) => [f.mspId, (f.error as FabError).detail?.validation ?? messages[i]]),
    ]),
  }
  const also = ok.length > 0 ? ` (${ok.join(', ')})` : ''
  if (failed.length === 1)
    return new FabError('FABRIC', `the approval of ${failed[0].mspId} failed${also}: ${messages[0]}`, {
      cause: first,
      detail,
      hint: first.hint,
    })
  return new FabError(
    'FABRIC',
    `the approvals of ${failed.map((f) => f.mspId).join(', ')} failed${also}: ${failed.map((f, i) => `${f.mspId}: ${messages[i]}`).join('; ')}`,
    {cause: first, detail, hint: first.hint},
  )
}

export function allPeers(
  s: FabricSession,
  only?: {org?: string[]; peer?: string[]},
): {org: OrgConfig; peer: PeerConfig}[] {
  const out: {org: OrgConfig; peer: PeerConfig}[] = []
  for (const org of s.network.orgs) {
    if (only?.org?.length && !only.org.includes(org.mspId)) continue
    for (const p of org.peers) if (!only?.peer?.length || only.peer.includes(p.address)) out.push({org, peer: p})
  }

  if (out.length === 0)
    throw new FabError(
      'USAGE',
      `no peer in fabk8s.yaml network matches ${[...(only?.org ?? []), ...(only?.peer ?? [])].join(', ')}`,
    )
  return out
}

export function selectOrgs(s: FabricSession, mspIds?: string[]): OrgConfig[] {
  if (!mspIds?.length) return s.network.orgs
  return mspIds.map((m) => s.org(m))
}

// ---------------------------------------------------------------------------------------------- register

export interface RegisterOptions extends DefinitionOverrides {
  json?: boolean
  label?: string
  packageFile?: string
  verbose?: boolean
}

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
  /** With --verbose: milestones in ms since the process started (where the time goes). */
  timings?: Mark[]
  /** Nothing was changed: everything was in place already. */
  upToDate: boolean
}

interface Ctx {
  approvalErrors: {error: unknown; mspId: string}[]
  approvals: ApproveOutcome[]
  commit?: {txId?: string; validation?: string}
  installs: InstallResult[]
  pkg?: PackageRef
  plan?: RegistrationPlan
}

const short = (id: string) => id.replace(/:(\w{12})\w+$/, ':$1…')

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
  const [def, committed, latest] = await Promise.all([
    desiredDefinition(project, o),
    queryCommitted(s, project.name),
    Promise.all(s.network.orgs.map((org) => queryApproved(s, org, project.name, 0))),
  ])
  const plan = planSequence(committed, def)
  if (o.sequence !== undefined && o.sequence !== plan.sequence) {
    plan.reason = `--sequence ${o.sequence} (planned ${plan.sequence}: ${plan.reason})`
    plan.sequence = o.sequence
    plan.commit = !committed || o.sequence > committed.sequence
  }

  const orgs = await Promise.all(
    s.network.orgs.map(async (org, i) => {
      let approved = latest[i]
      // the latest approval is the next sequence's: the planned one may still be approved as it should
      if (approved && approved.sequence > plan.sequence)
        approved = await queryApproved(s, org, project.name, plan.sequence)
      return {mspId: org.mspId, need: approvalNeeded(approved, def, plan.sequence, packageId)}
    }),
  )
  return {committed, def, orgs, plan}
}

/**
 * package → install (every peer) ∥ plan → approve (every org) → commit, as one task list. Installs and approvals
 * overlap: an approval needs only the package ID, known before any install. The approvals of all orgs are broadcast
 * before any is waited on, so they land in one block; the commit follows once every org's peer has committed them.
 * Connections, identities and the commit-status streams start at once and overlap packaging and planning.
 * Idempotent: what is in place is left.
 */
export async function register(project: ProjectConfig, opts: RegisterOptions = {}): Promise<RegisterResult> {
  const tl = new Timeline()
  tl.mark('register: start')
  const s = new FabricSession(project.network)
  const {network} = s
  // every later step needs these; started now, they overlap packaging and planning (a failure surfaces in the step
  // that awaits it, with its own message)
  const warm = Promise.all([...network.orgs.map((o) => s.watcher(o)), s.connect(network.orderer)])
  warm.then(() => tl.mark('connected: peers, orderer, commit-status streams')).catch(() => {})
  const trace = (what: string) => (step: string) => tl.mark(`${what}: ${step}`)
  try {
    const tasks: ListrTask<Ctx>[] = [
      {
        async task(ctx, task) {
          ctx.pkg = await resolvePackage(project, {file: opts.packageFile, label: opts.label})
          tl.mark('package built')
          task.title = `Package ${short(ctx.pkg.packageId)}`
        },
        title: 'Package',
      },
      {
        task: (_, task) =>
          task.newListr(
            [
              {
                task: (_c, t) =>
                  t.newListr(
                    allPeers(s).map(({org, peer}) => ({
                      async task(ctx: Ctx, tt) {
                        const r = await installOnPeer(s, org, peer, ctx.pkg!)
                        ctx.installs.push(r)
                        tl.mark(`install on ${peer.address}: ${r.installed ? 'installed' : 'already installed'}`)
                        tt.title = `${org.mspId} ${peer.address}: ${r.installed ? 'installed' : 'already installed'}`
                      },
                      title: `${org.mspId} ${peer.address}`,
                    })),
                    {concurrent: true, exitOnError: true},
                  ),
                title: 'Install on peers',
              },
              {
                task: (_c, t) =>
                  t.newListr(
                    [
                      {
                        async task(ctx: Ctx, tt) {
                          ctx.plan = await planRegistration(s, project, ctx.pkg!.packageId, opts)
                          tl.mark('planned: committed definition and approvals queried')
                          tt.title = `Sequence ${ctx.plan.plan.sequence}: ${ctx.plan.plan.reason}`
                        },
                        title: 'Plan sequence',
                      },
                      {
                        task: (_c2, t2) =>
                          t2.newListr(
                            network.orgs.map((org) => ({
                              async task(ctx: Ctx, tt) {
                                const {def, orgs, plan} = ctx.plan!
                                const {need} = orgs.find((o) => o.mspId === org.mspId)!
                                try {
                                  // waited on at every org's peer: each of them endorses the commit next
                                  const r = await approveOrg(
                                    s,
                                    org,
                                    {def, need, packageId: ctx.pkg!.packageId, sequence: plan.sequence},
                                    {trace: trace(`approve ${org.mspId}`), waitOn: network.orgs},
                                  )
                                  ctx.approvals.push(r)
                                  tt.title = `${org.mspId}: ${r.approved ? `approved (${r.validation})` : 'already approved'}`
                                } catch (error) {
                                  ctx.approvalErrors.push({error, mspId: org.mspId})
                                  throw error
                                }
                              },
                              title: org.mspId,
                            })),
                            // every org's approval runs to its end, so that each is reported
                            {concurrent: true, exitOnError: false},
                          ),
                        title: 'Approve',
                      },
                      {
                        enabled: (ctx: Ctx) => ctx.approvalErrors.length > 0,
                        task(ctx: Ctx) {
                          throw approvalsFailed(ctx.approvals, ctx.approvalErrors)
                        },
                        title: 'Approvals',
                      },
                      {
                        skip: (ctx: Ctx) => (ctx.plan!.plan.commit ? false : 'Commit: already committed'),
                        async task(ctx: Ctx, tt) {
                          const {def, plan} = ctx.plan!
                          // every org of fabk8s.yaml has approved by now (it had, or its approval committed VALID)
                          const approvals = Object.fromEntries(network.orgs.map((o) => [o.mspId, true]))
                          const r = await commit(s, def, plan.sequence, {approvals, trace: trace('commit')})
                          ctx.commit = {txId: r.txId, validation: r.validation}
                          tt.title = `Commit sequence ${plan.sequence}: ${r.validation}`
                        },
                        title: 'Commit',
                      },
                    ],
                    {concurrent: false, exitOnError: true},
                  ),
                title: `Define on ${network.channel}`,
              },
            ],
            {concurrent: true, exitOnError: true},
          ),
        title: `Install and define ${project.name} on ${network.channel}`,
      },
    ]
    const ctx = await runTasks<Ctx>(
      tasks,
      {approvalErrors: [], approvals: [], installs: []},
      {json: opts.json, verbose: opts.verbose},
    )
    tl.mark('register: done')
    const installed = ctx.installs.filter((i) => i.installed).map((i) => i.address)
    const approved = ctx.approvals.filter((a) => a.approved).map((a) => a.mspId)
    const committed = Boolean(ctx.commit)
    return {
      approved,
      channel: network.channel,
      committed,
      installed,
      label: ctx.pkg!.label,
      name: project.name,
      packageId: ctx.pkg!.packageId,
      sequence: ctx.plan!.plan.sequence,
      ...(opts.verbose ? {timings: tl.marks} : {}),
      upToDate: installed.length === 0 && approved.length === 0 && !committed,
    }
  } catch (error) {
    throw unwrapListr(error)
  } finally {
    s.close()
  }
}

/** listr2 may wrap errors; give back ours. */
function unwrapListr(error: unknown): unknown {
  const e = error as {error?: unknown}
  if (e && typeof e === 'object' && !(error instanceof FabError) && e.error instanceof Error) return e.error
  return error
}

// ---------------------------------------------------------------------------------------------- status

export interface StatusResult {
  approvals: Record<string, boolean>
  channel: string
  committed: null | Record<string, unknown>
  name: string
  orgs: {approved: null | Record<string, unknown>; mspId: string; upToDate: boolean}[]
  /** The project's package ID (what register would install and approve). */
  packageId: string
  peers: {address: string; hasPackage: boolean; installed: string[]; mspId: string}[]
  plan: {commit: boolean; reason: string; sequence: number}
}

export async function status(project: ProjectConfig, o: DefinitionOverrides = {}): Promise<StatusResult> {
  const s = new FabricSession(project.network)
  try {
    const pkg = await buildPackage(project)
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
    const orgs = await Promise.all(
      s.network.orgs.map(async (org) => {
        const a = await queryApproved(s, org, project.name, plan.sequence)
        return {
          approved: a ? definitionJson(a) : null,
          mspId: org.mspId,
          upToDate: !approvalNeeded(a, def, plan.sequence, pkg.packageId),
        }
      }),
    )
    return {
      approvals: committed?.approvals ?? {},
      channel: s.network.channel,
      committed: committed ? definitionJson(committed) : null,
      name: project.name,
      orgs,
      packageId: pkg.packageId,
      peers: installed.map((i) => ({
        address: i.address,
        hasPackage: i.list.some((x) => x.packageId === pkg.packageId),
        installed: i.list.map((x) => x.packageId),
        mspId: i.mspId,
      })),
      plan: {commit: plan.commit, reason: plan.reason, sequence: plan.sequence},
    }
  } finally {
    s.close()
  }
}

export interface FabricView {
  /** Package ID each org approved (for the sequence fabk8s would use), null where none. */
  approved: Record<string, null | string>
  committedSequence: null | number
  error?: string
  /** Peers that have the running CHAINCODE_ID installed, and those that lack it. */
  installedOn: string[]
  missingOn: string[]
}

/**
 * For `fabk8s status`: each org's approved package ID and the peers that have the running one installed, read-only.
 * A Fabric error is reported in the result, not thrown, so the Kubernetes view still stands.
 */
export async function fabricView(project: ProjectConfig, running?: string): Promise<FabricView> {
  try {
    const st = await status(project)
    const approved: Record<string, null | string> = {}
    for (const o of st.orgs) approved[o.mspId] = (o.approved?.packageId as string | undefined) ?? null
    const has = st.peers.filter((p) => running && p.installed.includes(running)).map((p) => p.address)
    return {
      approved,
      committedSequence: (st.committed?.sequence as number | undefined) ?? null,
      installedOn: has,
      missingOn: st.peers.filter((p) => !has.includes(p.address)).map((p) => p.address),
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

// ---------------------------------------------------------------------------------------------- single steps

export interface InstallAllResult {
  label: string
  packageId: string
  peers: InstallResult[]
}

/** `lifecycle install`: the package on every selected peer, in parallel; "already installed" is success. */
export async function installAll(
  project: ProjectConfig,
  o: {label?: string; orgs?: string[]; packageFile?: string; peers?: string[]} = {},
): Promise<InstallAllResult> {
  const s = new FabricSession(project.network)
  try {
    const pkg = await resolvePackage(project, {file: o.packageFile, label: o.label})
    const peers = await Promise.all(
      allPeers(s, {org: o.orgs, peer: o.peers}).map(({org, peer}) => installOnPeer(s, org, peer, pkg)),
    )
    return {label: pkg.label, packageId: pkg.packageId, peers}
  } finally {
    s.close()
  }
}

export interface ApproveAllResult {
  orgs: ApproveOutcome[]
  packageId: string
  plan: {commit: boolean; reason: string; sequence: number}
}

/** `lifecycle approve`: per selected org, at the planned (or given) sequence; orgs already matching are skipped. */
export async function approveAll(
  project: ProjectConfig,
  o: DefinitionOverrides & {
    label?: string
    orgs?: string[]
    packageFile?: string
    packageId?: string
    sequence?: number
  } = {},
): Promise<ApproveAllResult> {
  const s = new FabricSession(project.network)
  try {
    const packageId = o.packageId ?? (await resolvePackage(project, {file: o.packageFile, label: o.label})).packageId
    const {def, plan} = await planDefinition(s, project, o)
    const selected = selectOrgs(s, o.orgs)
    // side by side, each to its end: every org's outcome is reported
    const settled = await Promise.allSettled(
      selected.map((org) => approveIfNeeded(s, org, def, plan.sequence, packageId)),
    )
    const orgs = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    const failed = settled.flatMap((r, i) =>
      r.status === 'rejected' ? [{error: r.reason as unknown, mspId: selected[i].mspId}] : [],
    )
    if (failed.length > 0) throw approvalsFailed(orgs, failed)
    return {orgs, packageId, plan: {commit: plan.commit, reason: plan.reason, sequence: plan.sequence}}
  } finally {
    s.close()
  }
}

export interface CommitResult {
  approvals: Record<string, boolean>
  committed: boolean
  reason: string
  sequence: number
  txId?: string
  validation?: string
}

/** `lifecycle commit`: commit the planned (or given) sequence unless the committed definition already matches. */
export async function commitDefinition(
  project: ProjectConfig,
  o: DefinitionOverrides & {sequence?: number} = {},
): Promise<CommitResult> {
  const s = new FabricSession(project.network)
  try {
    const {committed, def, plan} = await planDefinition(s, project, o)
    if (!plan.commit)
      return {approvals: committed?.approvals ?? {}, committed: false, reason: plan.reason, sequence: plan.sequence}
    const r = await commit(s, def, plan.sequence)
    return {
      approvals: r.approvals,
      committed: true,
      reason: plan.reason,
      sequence: plan.sequence,
      txId: r.txId,
      validation: r.validation,
    }
  } finally {
    s.close()
  }
}

export interface CallResult {
  result: string
  txId?: string
  validation?: string
}

/** `invoke` / `query` as the chosen org (see lifecycle.ts callChaincode). */
export async function callChaincodeFor(
  project: ProjectConfig,
  o: {args: string[]; chaincode?: string; fn: string; org?: string; submit: boolean; transient?: string},
): Promise<CallResult> {
  let transient: Record<string, string> | undefined
  if (o.transient) {
    try {
      transient = JSON.parse(o.transient)
    } catch {}

    if (!transient || typeof transient !== 'object' || Object.values(transient).some((v) => typeof v !== 'string'))
      throw new FabError('USAGE', '--transient: expected a JSON object of strings, e.g. {"secret":"x"}')
  }

  const s = new FabricSession(project.network)
  try {
    const {callChaincode} = await import('./lifecycle.js')
    const r = await callChaincode(s, s.org(o.org), {
      args: o.args,
      chaincode: o.chaincode ?? project.name,
      fn: o.fn,
      submit: o.submit,
      transient,
    })
    return {result: Buffer.from(r.result).toString('utf8'), txId: r.txId, validation: r.validation}
  } finally {
    s.close()
  }
}
