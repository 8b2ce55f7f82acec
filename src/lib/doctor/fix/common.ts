/**
 * What every format's fixer shares (plan.ts for Kubernetes, compose.ts, github.ts, gitlab.ts): the plan it adds to,
 * the ccaas_builder setting, which containers are Fabric's, and FileFix, which records a fix or a finding left as it
 * is for one checked object of one file.
 */
import {type Document, isAlias, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap, type YAMLSeq} from 'yaml'

import type {Positions} from '../model/positions.js'

import {ConfigMapIndex} from '../model/configmaps.js'
import {isPeer} from '../model/fabric.js'
import {isMergeKey} from '../model/positions.js'
import {type AnalysisContext, type Analyzed, type ContainerInfo, type Obj} from '../model/types.js'
import {appendItems, appendPair, CannotEdit, type Edit, pairOf, removeItems, removePair, replaceScalar} from './edits.js'

export const CCAAS_BUILDERS =
  '[{"name":"ccaas_builder","path":"/opt/hyperledger/ccaas_builder","propagateEnvironment":["CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"]}]'

export interface FixSource {
  file: string
  text: string
}

/** A compose or CI document, for its format's fixer: the `yaml` nodes to edit and the value the model reads. */
export interface FormatInput {
  doc: Document
  file: string
  node: YAMLMap
  pos: Positions
  text: string
  value: Obj
}

/** Compose and CI files name no ConfigMaps. */
export function noConfigMaps(): AnalysisContext {
  return {configMaps: new ConfigMapIndex()}
}

export interface Fix {
  change: string
  container: null | string
  file: string
  kind: null | string
  /** Line in the original file where the change starts. */
  line: number
  name: null | string
  namespace: null | string
  rule: string
}

/** Why a finding was left as it is (keyed by file, object, container and rule). */
export interface NotFixed {
  container: null | string
  file: string
  kind: null | string
  name: null | string
  reason: string
  rule: string
  /**
   * Set for what doctor itself cannot see (a compose `env_file`, a `docker run` in a CI step): no finding carries the
   * reason, so --fix lists this entry on its own, at this line with this message.
   */
  unseen?: {line: number; message: string}
}

export interface FixPlan {
  edits: Map<string, Edit[]>
  fixes: Fix[]
  notFixed: NotFixed[]
}

/** Whether a finding of `rule` on this object/container is suppressed (annotation or ignore file). */
export type Suppressed = (a: Analyzed, rule: string, container: null | string) => boolean

const FABRIC_IMAGE = /hyperledger\/fabric-|fabric-(peer|tools|ccenv|orderer)/i

/** A container of Fabric's own (peer, tools, CLI) whose use of Docker was for chaincode. */
export function isFabric(c: ContainerInfo): boolean {
  if (isPeer(c) || FABRIC_IMAGE.test(c.image)) return true
  for (const k of c.env.keys()) if (k.startsWith('CORE_PEER_') || k === 'CORE_VM_ENDPOINT') return true
  return false
}

export function line(text: string, at: number): number {
  let n = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) n++
  return n
}

export function yamlSingle(s: string): string {
  return `'${s.replaceAll("'", "''")}'`
}

/** The peer name for CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: CORE_PEER_ID, else the given fallbacks in order. */
export function peerName(c: ContainerInfo, ...fallbacks: (null | string | undefined)[]): string {
  const id = c.env.get('CORE_PEER_ID')?.value
  if (id && id.trim() !== '') return id
  return fallbacks.find((x) => typeof x === 'string' && x.trim() !== '') ?? c.name
}

/** The builder variables a peer without an external builder gets, as [name, value] pairs. */
export function builderVars(c: ContainerInfo, name: string): [string, string][] {
  const out: [string, string][] = [['CORE_CHAINCODE_EXTERNALBUILDERS', CCAAS_BUILDERS]]
  if (!c.env.has('CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG'))
    out.push(['CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG', JSON.stringify({peername: name})])
  return out
}

/** `key`'s value in a block map, refusing what an edit here would change elsewhere too (an alias, a `<<` merge). */
export function own(map: YAMLMap, key: string, what: string): Node | undefined {
  const p = pairOf(map, key) as Pair<Node, Node> | undefined
  if (!p) {
    if (map.items.some((x) => isMergeKey(x.key))) throw new CannotEdit(`${what} may come from a \`<<\` merge key`)
    return undefined
  }

  if (isAlias(p.value)) throw new CannotEdit(`${what} is an alias (*${p.value.source}) shared with other entries`)
  return p.value ?? undefined
}

export function asMap(n: unknown): undefined | YAMLMap {
  return isMap(n) ? n : undefined
}

export function asSeq(n: unknown): undefined | YAMLSeq {
  return isSeq(n) ? n : undefined
}

/** Records fixes and findings left as they are for one checked object (a compose file, a CI job) of one file. */
export class FileFix {
  /** Containers whose Docker set-up changed (socket, daemon or endpoint). */
  readonly touched = new Set<ContainerInfo>()

  constructor(
    protected readonly plan: FixPlan,
    protected readonly file: string,
    protected readonly text: string,
    protected readonly a: Analyzed,
    protected readonly suppressed: Suppressed,
  ) {}

  protected add(rule: string, c: ContainerInfo | null, change: string, edits: Edit[]): void {
    if (edits.length === 0) return
    const list = this.plan.edits.get(this.file) ?? []
    list.push(...edits)
    this.plan.edits.set(this.file, list)
    this.plan.fixes.push({
      change,
      container: c?.name ?? null,
      file: this.file,
      kind: this.a.kind || null,
      line: line(this.text, Math.min(...edits.map((e) => e.from))),
      name: this.a.name,
      namespace: this.a.namespace,
      rule,
    })
    if (c) this.touched.add(c)
  }

  /** Edits that go with a recorded fix (an emptied key, a volume only a removed service used). */
  protected also(edits: Edit[]): void {
    const list = this.plan.edits.get(this.file) ?? []
    list.push(...edits)
    this.plan.edits.set(this.file, list)
  }

  /** Run an edit maker; a CannotEdit becomes a NotFixed entry with its reason. */
  protected attempt(rule: string, c: ContainerInfo | null, fn: () => void): boolean {
    try {
      fn()
      return true
    } catch (error) {
      if (!(error instanceof CannotEdit)) throw error
      this.notFixed(rule, c, `${error.message}: change it by hand`)
      return false
    }
  }

  protected isSuppressed(rule: string, c: ContainerInfo | null): boolean {
    return this.suppressed(this.a, rule, c?.name ?? null)
  }

  protected notFixed(rule: string, c: ContainerInfo | null, reason: string, unseen?: NotFixed['unseen']): void {
    this.plan.notFixed.push({
      container: c?.name ?? null,
      file: this.file,
      kind: this.a.kind || null,
      name: this.a.name,
      reason,
      rule,
      ...(unseen ? {unseen} : {}),
    })
  }
}

/**
 * Set variable `name` to empty where an env block writes it: `- NAME=…` in a list (compose), `NAME: …` in a mapping,
 * or GitLab's `NAME: {value: …}`. The last entry wins, as compose and CI read them.
 */
export function emptyEnv(text: string, env: Node, name: string): Edit {
  if (isSeq(env)) {
    const item = [...env.items]
      .reverse()
      .find((x) => isScalar(x) && (String(x.value) === name || String(x.value).startsWith(name + '='))) as
      | Node
      | undefined
    if (!item) throw new CannotEdit(`${name} is not written in this list`)
    return replaceScalar(item, `${name}=`)
  }

  if (!isMap(env)) throw new CannotEdit(`the block that sets ${name} is not a mapping or a list`)
  const p = [...env.items].reverse().find((x) => isScalar(x.key) && x.key.value === name) as Pair<Node, Node> | undefined
  if (!p) throw new CannotEdit(`${name} is not written in this mapping`)
  let v: Node | null = p.value
  if (isMap(v)) v = (v.get('value', true) as Node | undefined) ?? null // GitLab {value, description}
  if (v === null || (isScalar(v) && v.value === null && v.range && v.range[0] === v.range[1])) {
    // `NAME:` with no value: write one after the colon
    const colon = text.indexOf(':', p.key.range![1])
    return {from: colon + 1, insert: ' ""', to: colon + 1}
  }

  return replaceScalar(v, '""')
}

/**
 * Add variables to an env block (`env`, a list or a mapping of the `owner` map under `key`), or add `key:` with them to
 * `owner` when it has none. Values are single-quoted (the JSON of the builder settings holds `:` and `{`).
 */
export function addEnv(text: string, owner: YAMLMap, key: string, vars: [string, string][]): Edit {
  const env = own(owner, key, key)
  if (env === undefined || (isScalar(env) && env.value === null)) {
    if (env !== undefined) throw new CannotEdit(`${key} is empty`)
    return appendPair(text, owner, `${key}:\n${vars.map(([k, v]) => `  ${k}: ${yamlSingle(v)}`).join('\n')}`)
  }

  if (isSeq(env)) {
    if (env.items.some((x) => !isScalar(x))) throw new CannotEdit(`${key} is not a list of NAME=value`)
    return appendItems(
      text,
      env,
      vars.map(([k, v]) => `- ${yamlSingle(`${k}=${v}`)}`),
    )
  }

  if (!isMap(env)) throw new CannotEdit(`${key} is not a mapping or a list`)
  if (env.items.length === 0) throw new CannotEdit(`${key} is empty`)
  return appendPair(text, env, vars.map(([k, v]) => `${k}: ${yamlSingle(v)}`).join('\n'))
}

/** Scalars of a block list that match, by index. */
export function matching(seq: YAMLSeq, test: (v: unknown, item: unknown) => boolean): number[] {
  return seq.items.flatMap((x, i) => (test(isScalar(x) ? x.value : isMap(x) ? x.toJSON() : undefined, x) ? [i] : []))
}

/** Remove items of a list; the whole `key:` of `owner` when none would be left. */
export function removeFromList(text: string, owner: YAMLMap, key: string, seq: YAMLSeq, idx: number[]): Edit[] {
  if (idx.length === 0) return []
  return idx.length === seq.items.length ? removePair(text, owner, key) : removeItems(text, seq, idx)
}
