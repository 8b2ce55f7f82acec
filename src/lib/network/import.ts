/**
 * `fabk8s network import SOURCE`: read the source, apply the flags, write fabk8s.yaml's `network` section (and the
 * material folder for inline PEMs), then optionally probe what was written.
 */
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {ImportedNetwork, SourceKind} from './model.js'
import type {CheckReport} from './probe/index.js'

import {FabError} from '../errors.js'
import {findProjectFile, MAX_ALIASES} from '../project/load.js'
import {formatPath, usesPeername, validateProject} from '../project/schema.js'
import {applyOverrides, type Overrides, requireComplete} from './overrides.js'
import {type NetworkSection, pathForYaml, planSection, renderSection} from './section.js'
import {readSource, type SourceOptions} from './source/index.js'
import {planDockerignore, type SpliceMode, spliceNetwork, stageMaterial, writeImport} from './write.js'

export interface ImportOptions extends Overrides, SourceOptions {
  check?: boolean
  dryRun?: boolean
  /** --project: the folder holding fabk8s.yaml (default: current folder or nearest parent). */
  projectDir?: string
  source: string
  /** Per probe step. */
  timeoutMs?: number
}

export interface ImportResult {
  check?: CheckReport
  /** .dockerignore: `.fabk8s` added, file created, or already there (only when material was written). */
  dockerignore?: 'added' | 'created' | 'present'
  /** fabk8s.yaml. */
  file: string
  /** Files written (or, with --dry-run, that would be) under .fabk8s/network, relative to the project folder. */
  files: {mode: string; path: string}[]
  kind: SourceKind
  /** How the section went in: replaced the old one, replaced init's commented example, or appended. */
  mode: SpliceMode
  network: NetworkSection
  notes: string[]
  /** The section as written, YAML. */
  section: string
  source: string
  written: boolean
}

const CHANNEL_RE = /^[a-z][a-z0-9.-]*$/

/**
 * A chaincode.address with the ccaas builder's {{.peername}} needs a peername on every peer (one Deployment per peer
 * name). Connection profiles do not give one: the peers the user has to name, for a note.
 */
async function peernamesMissing(text: string, net: ImportedNetwork): Promise<string | undefined> {
  const {parse} = await import('yaml')
  let data: null | {chaincode?: {address?: unknown}}
  try {
    data = parse(text, {maxAliasCount: MAX_ALIASES})
  } catch {
    return // the project loader reports a file it cannot read
  }

  const address = data?.chaincode?.address
  if (typeof address !== 'string' || !usesPeername(address)) return
  const missing = net.orgs.flatMap((o) => o.peers.filter((p) => !p.peername).map((p) => `${p.name} (${o.mspId})`))
  if (missing.length === 0) return
  return `chaincode.address uses {{.peername}}, and the source gives no peername for ${missing.join(', ')}`
}

export async function importNetwork(opts: ImportOptions): Promise<ImportResult> {
  const file = findProjectFile(opts.projectDir)
  const dir = path.dirname(file)
  const rel = path.relative(process.cwd(), file) || file

  const net = applyOverrides(await readSource(opts.source, opts), opts)
  requireComplete(net)
  if (net.channel !== undefined && !CHANNEL_RE.test(net.channel))
    throw new FabError(
      'USAGE',
      `channel "${net.channel}" (${net.channelFrom}): not a Fabric channel name (lower-case letters, digits, . and -)`,
      {hint: 'give the channel with --channel NAME'},
    )
  if (!net.channel) net.notes.push('channel: mychannel (the default; --channel NAME to change)')

  const plan = await planSection(net, dir)
  // the schema's own check of what we are about to write (paths resolve against the project folder)
  const {issues} = validateProject({name: 'x', network: plan.section, version: '1'}, dir)
  // e.g. an address fabk8s.yaml cannot hold (an IPv6 literal): the user changes it with a flag
  if (issues.length > 0)
    throw new FabError(
      'USAGE',
      `the imported section does not validate: ${formatPath(issues[0].path)}: ${issues[0].message}`,
      {
        hint: 'change the value with --address NAME=HOST:PORT, --orderer or --channel',
      },
    )

  const sourceShown = pathForYaml(dir, net.source).replaceAll('$$', '$')
  const sectionYaml = await renderSection(
    plan.section,
    `imported by fabk8s network import from ${sourceShown} (${net.kind})`,
  )
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new FabError('PROJECT', `${rel}: cannot read (${(error as NodeJS.ErrnoException).code})`)
  }

  const spliced = await spliceNetwork(text, sectionYaml, rel)
  // written all the same (the material too); only the user knows each peer's peername
  const unnamed = await peernamesMissing(spliced.text, net)
  if (unnamed) net.notes.push(`${unnamed}: add peername: to each of them in ${rel}; fabk8s cannot load it until then`)
  const files = plan.files.map((f) => ({
    mode: `0${f.mode.toString(8)}`,
    path: path.relative(dir, path.join(plan.materialDir, ...f.rel.split('/'))),
  }))

  let dockerignore: ImportResult['dockerignore']
  if (!opts.dryRun) {
    // all or nothing: every destination checked first, fabk8s.yaml written last (write.ts)
    const ignore = plan.files.length > 0 ? await planDockerignore(dir) : undefined
    dockerignore = ignore?.status
    const {notes} = await writeImport({
      ...(ignore?.text === undefined ? {} : {dockerignore: {file: ignore.file, text: ignore.text}}),
      file,
      material: {dir: plan.materialDir, files: plan.files},
      text: spliced.text,
    })
    net.notes.push(...notes)
  }

  let check: CheckReport | undefined
  if (opts.check) {
    const {checkNetwork} = await import('./probe/index.js')
    // a dry run writes nothing into the project: the material goes to a private temporary folder for the probes
    let tmp: string | undefined
    if (opts.dryRun && plan.files.length > 0) {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'fabk8s-import-'))
      await (await stageMaterial(path.join(tmp, 'network'), plan.files)).commit()
    }

    try {
      // by kind: a peer and the orderer at one address (--address) keep their own names
      const names: Record<string, string> = {}
      for (const e of net.orgs.flatMap((o) => o.peers)) names[e.address] = e.name
      check = await checkNetwork(plan.config(tmp ? path.join(tmp, 'network') : plan.materialDir), {
        names,
        ordererName: net.orderer!.name,
        timeoutMs: opts.timeoutMs,
      })
    } finally {
      if (tmp) await rm(tmp, {force: true, recursive: true})
    }
  }

  return {
    ...(check ? {check} : {}),
    ...(dockerignore ? {dockerignore} : {}),
    file,
    files,
    kind: net.kind,
    mode: spliced.mode,
    network: plan.section,
    notes: net.notes,
    section: sectionYaml,
    source: net.source,
    written: !opts.dryRun,
  }
}
