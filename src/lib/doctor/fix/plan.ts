/**
 * `doctor --fix`: what to change in each file to move its Fabric workloads off Docker (the chaincode-as-a-service
 * migration), as text edits located through the `yaml` package's nodes:
 *  - runtime-socket hostPath volumes and their mounts are dropped (when only Fabric containers mount them);
 *  - Docker-in-Docker containers are dropped from Fabric workloads, with the volumes only they used;
 *  - CORE_VM_ENDPOINT is set to "" where it is set: the env entry, the ConfigMap key an envFrom/valueFrom reads, or
 *    vm.endpoint in a ConfigMap's core.yaml (when that ConfigMap is in the input; else an env entry overrides it);
 *  - a peer without an external builder gets CORE_CHAINCODE_EXTERNALBUILDERS (the ccaas_builder shipped in
 *    fabric-peer images since 2.4) and CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG with its peer name;
 *  - privileged: true becomes false on the Fabric containers of a workload whose Docker set-up was removed.
 * What it cannot change safely is recorded with the reason (see NotFixed); the caller lists it.
 * planFixes() reads every document once and dispatches by what it is: Kubernetes objects to WorkloadFix below,
 * docker-compose, GitHub Actions and GitLab CI documents (input/detect.ts) to compose.ts, github.ts and gitlab.ts,
 * which make the same migration with the same edit primitives (edits.ts) and the pieces in common.ts.
 */
import * as yaml from 'yaml'
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml'

import {MAX_ALIAS_COUNT} from '../input/bounds.js'
import {detectFormat, type Format} from '../input/detect.js'
import {ConfigMapIndex} from '../model/configmaps.js'
import {dindReasons} from '../model/dind.js'
import {analyze, CONTAINER_LIST_KEYS, podSpecPath} from '../model/extract.js'
import {externalBuilderEvidence, isPeer, vmEndpoint} from '../model/fabric.js'
import {Positions} from '../model/positions.js'
import {type Analyzed, type ContainerInfo, describeObject, type Obj} from '../model/types.js'
import {
  CCAAS_BUILDERS,
  FileFix,
  type FixPlan,
  type FixSource,
  type FormatInput,
  isFabric,
  line,
  own,
  type Suppressed,
  yamlSingle,
} from './common.js'
import {fixCompose} from './compose.js'
import {
  appendItems,
  appendPair,
  CannotEdit,
  type Edit,
  pairOf,
  removeItems,
  removePair,
  replaceScalar,
} from './edits.js'
import {fixGithub} from './github.js'
import {fixGitlab} from './gitlab.js'

export type {Fix, FixPlan, FixSource, NotFixed, Suppressed} from './common.js'
export {CCAAS_BUILDERS} from './common.js'

/** The rules whose findings `--fix` addresses. */
export const FIXED_RULES = [
  'docker-socket-mount',
  'runtime-socket-volume',
  'dind-sidecar',
  'peer-vm-endpoint',
  'peer-no-external-builder',
  'vm-endpoint-non-peer',
  'privileged-container',
] as const

interface Located {
  file: string
  node: YAMLMap
  obj: Obj
  text: string
}

function envItem(name: string, value: string): string {
  return `- name: ${name}\n  value: ${value}`
}

/** The JS value of a document (null when it does not read: errors, too many aliases). */
function valueOf(doc: Document): unknown {
  if (doc.errors.length > 0) return null
  try {
    return doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
  } catch {
    return null
  }
}

function objectsOf(file: string, text: string, doc: Document, value: unknown): Located[] {
  const out: Located[] = []
  const visit = (v: unknown, node: unknown, depth: number): void => {
    if (depth > 8 || !v || typeof v !== 'object') return
    if (Array.isArray(v)) {
      if (isSeq(node)) for (const [i, x] of v.entries()) visit(x, node.items[i], depth + 1)
      return
    }

    const o = v as Obj
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items) && isMap(node)) {
      visit(o.items, node.get('items', true), depth + 1)
      return
    }

    if (typeof o.kind === 'string' && isMap(node)) out.push({file, node, obj: o, text})
  }

  visit(value, doc.contents, 0)
  return out
}

/** Each format's fixer: Kubernetes objects below (WorkloadFix), compose and CI files in their own files. */
const FORMAT_FIXERS: Record<Format, (plan: FixPlan, input: FormatInput, suppressed: Suppressed) => void> = {
  compose: fixCompose,
  'github-actions': fixGithub,
  'gitlab-ci': fixGitlab,
}

export function planFixes(sources: FixSource[], suppressed: Suppressed = () => false): FixPlan {
  const plan: FixPlan = {edits: new Map(), fixes: [], notFixed: []}
  const objects: Located[] = []
  for (const s of sources) {
    const lc = new LineCounter()
    const docs = parseAllDocuments(s.text, {lineCounter: lc, merge: true, uniqueKeys: false})
    for (const d of Array.isArray(docs) ? docs : [docs]) {
      const value = valueOf(d)
      const format = detectFormat(value, s.file)
      if (format && isMap(d.contents))
        FORMAT_FIXERS[format](
          plan,
          {doc: d, file: s.file, node: d.contents, pos: new Positions(yaml, d, lc, 1), text: s.text, value: value as Obj},
          suppressed,
        )
      else if (value) objects.push(...objectsOf(s.file, s.text, d, value))
    }
  }

  const index = new ConfigMapIndex()
  const configMaps = new Map<Obj, Located>()
  for (const o of objects)
    if (o.obj.kind === 'ConfigMap') {
      index.add(o.obj)
      configMaps.set(o.obj, o)
    }

  const ctx = {configMaps: index}
  for (const o of objects) {
    const a = analyze(o.obj, ctx)
    if (a.workload) new WorkloadFix(plan, o, a, configMaps, suppressed).run()
  }

  return plan
}

interface ContainerNode {
  c: ContainerInfo
  index: number
  list: string
  node: YAMLMap
  seq: YAMLSeq
}

/** The migration of one Kubernetes workload's pod spec (FileFix records the fixes and what is left). */
class WorkloadFix extends FileFix {
  private changed = false
  private readonly nodes: ContainerNode[] = []
  private readonly removedContainers = new Set<ContainerInfo>()
  private readonly removedVolumes = new Set<string>()
  private readonly spec: null | YAMLMap

  constructor(
    plan: FixPlan,
    private readonly o: Located,
    a: Analyzed,
    private readonly configMaps: Map<Obj, Located>,
    suppressed: Suppressed,
  ) {
    super(plan, o.file, o.text, a, suppressed)
    const p = podSpecPath(o.obj)
    const spec = p ? o.node.getIn(p, true) : null
    this.spec = isMap(spec) ? spec : null
    const {containers} = a.workload!
    if (!this.spec) return
    for (const list of CONTAINER_LIST_KEYS) {
      const seq = this.spec.get(list, true)
      if (!isSeq(seq)) continue
      for (const [index, node] of seq.items.entries())
        if (isMap(node)) this.nodes.push({c: containers[this.nodes.length], index, list, node, seq})
    }

    if (this.nodes.length !== containers.length || this.nodes.some((n) => !n.c)) this.nodes.length = 0
  }

  run(): void {
    if (this.nodes.length === 0 || !this.spec) return
    this.dind()
    this.sockets()
    this.dropEmptied()
    const touchedPeers = this.endpoints()
    this.builders(touchedPeers)
    if (this.changed) this.privileged()
  }

  /** FileFix.add, with the line taken from `at` (where the change reads as starting), not the first edit. */
  private addAt(at: number, rule: string, c: ContainerInfo | null, change: string, edits: Edit[]): void {
    this.also(edits)
    this.plan.fixes.push({
      change,
      container: c?.name ?? null,
      file: this.o.file,
      kind: this.a.kind || null,
      line: line(this.o.text, at),
      name: this.a.name,
      namespace: this.a.namespace,
      rule,
    })
    this.changed = true
  }

  private addIn(at: Located, edit: Edit, rule: string, c: ContainerInfo, change: string): void {
    // the ConfigMap may be in another file, and several workloads may read it: one edit, recorded once
    const list = this.plan.edits.get(at.file) ?? []
    const dup = list.some((e) => e.from === edit.from && e.to === edit.to)
    if (!dup) list.push(edit)
    this.plan.edits.set(at.file, list)
    if (!dup)
      this.plan.fixes.push({
        change,
        container: null,
        file: at.file,
        kind: 'ConfigMap',
        line: line(at.text, edit.from),
        name: at.obj.metadata?.name ?? null,
        namespace: at.obj.metadata?.namespace ?? null,
        rule,
      })
    this.changed = true
  }

  private appendEnv(n: ContainerNode, items: string[], rule: string, change: string): void {
    // own(): an `env:` added beside a `<<` merge key would hide the env it brings in
    const env = own(n.node, 'env', `env of container "${n.c.name}"`)
    const edit = isSeq(env)
      ? appendItems(this.o.text, env, items)
      : pairOf(n.node, 'env')
        ? (() => {
            throw new CannotEdit('env is not a list')
          })()
        : appendPair(this.o.text, n.node, `env:\n${items.join('\n')}`)
    this.addAt(edit.from, rule, n.c, change, [edit])
  }

  private builders(peers: Set<ContainerInfo>): void {
    for (const n of this.nodes) {
      if (!peers.has(n.c) || externalBuilderEvidence(this.a, n.c)) continue
      if (this.suppressed(this.a, 'peer-no-external-builder', n.c.name)) continue
      const id = n.c.env.get('CORE_PEER_ID')?.value
      const peerName = id && id.trim() !== '' ? id : (this.a.name ?? n.c.name)
      const items = [envItem('CORE_CHAINCODE_EXTERNALBUILDERS', yamlSingle(CCAAS_BUILDERS))]
      if (!n.c.env.has('CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG'))
        items.push(envItem('CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG', yamlSingle(JSON.stringify({peername: peerName}))))
      this.attempt('peer-no-external-builder', n.c, () =>
        this.appendEnv(
          n,
          items,
          'peer-no-external-builder',
          `ccaas_builder external builder added to peer container "${n.c.name}" (peername ${peerName})`,
        ),
      )
    }
  }

  private dind(): void {
    const dind = this.nodes.filter((n) => dindReasons(n.c).length > 0)
    if (dind.length === 0) return
    const rest = this.nodes.filter((n) => !dind.includes(n))
    const fabric = rest.some((n) => isFabric(n.c))
    for (const n of dind) {
      if (this.suppressed(this.a, 'dind-sidecar', n.c.name)) continue
      if (!fabric) {
        this.notFixed(
          'dind-sidecar',
          n.c,
          rest.length === 0
            ? `${describeObject(this.a)} runs only the Docker daemon: delete it (and its Service) once no peer points at it`
            : `no Fabric container beside it in ${describeObject(this.a)}: something else may need this daemon`,
        )
        continue
      }

      if (!rest.some((r) => r.list === 'containers') && n.list === 'containers') {
        this.notFixed('dind-sidecar', n.c, 'removing it would leave the pod without containers')
        continue
      }

      this.attempt('dind-sidecar', n.c, () => {
        const siblings = dind.filter((d) => d.seq === n.seq).map((d) => d.index)
        const edits =
          siblings.length === n.seq.items.length
            ? removePair(this.o.text, this.spec!, n.list)
            : removeItems(this.o.text, n.seq, [n.index])
        this.removedContainers.add(n.c)
        this.addAt(edits[0].from, 'dind-sidecar', n.c, `removed the Docker-in-Docker container "${n.c.name}"`, edits)
      })
    }

    // volumes only the removed daemons used
    const used = new Set<string>()
    for (const n of this.nodes) if (!this.removedContainers.has(n.c)) for (const m of n.c.mounts) used.add(m.name)
    for (const n of this.nodes)
      if (this.removedContainers.has(n.c))
        for (const m of n.c.mounts)
          if (!used.has(m.name) && this.a.workload!.volumes.has(m.name)) this.removedVolumes.add(m.name)
  }

  /** Containers, volumes or mounts lists emptied by the removals lose their key. */
  private dropEmptied(): void {
    const vols = this.spec!.get('volumes', true)
    if (isSeq(vols) && this.removedVolumes.size > 0) {
      const idx = vols.items.flatMap((v, i) => (isMap(v) && this.removedVolumes.has(String(v.get('name'))) ? [i] : []))
      if (idx.length > 0) {
        const edits =
          idx.length === vols.items.length
            ? removePair(this.o.text, this.spec!, 'volumes')
            : removeItems(this.o.text, vols, idx)
        this.also(edits)
      }
    }
  }

  /** The mounts of `volume` in the containers that stay. */
  private dropMounts(volume: string): void {
    for (const n of this.nodes) {
      if (this.removedContainers.has(n.c)) continue
      const vm = n.node.get('volumeMounts', true)
      if (!isSeq(vm)) continue
      const idx = vm.items.flatMap((m, i) => (isMap(m) && m.get('name') === volume ? [i] : []))
      if (idx.length === 0) continue
      const rest = vm.items.filter((m, i) => !idx.includes(i) && !this.isRemovedMount(m))
      const edits =
        rest.length === 0 ? removePair(this.o.text, n.node, 'volumeMounts') : removeItems(this.o.text, vm, idx)
      const m = vm.items[idx[0]] as YAMLMap
      this.addAt(
        edits[0].from,
        'docker-socket-mount',
        n.c,
        `removed the mount of volume "${volume}" at ${String(m.get('mountPath'))} from container "${n.c.name}"`,
        edits,
      )
    }
  }

  private endpoint(n: ContainerNode, from: string, ref: string | undefined, rule: string): void {
    const {c} = n
    if (from === 'env') {
      const env = own(n.node, 'env', `env of container "${c.name}"`)
      if (!isSeq(env)) throw new CannotEdit(`env of container "${c.name}" is not a list`)
      const item = [...env.items].reverse().find((x) => isMap(x) && x.get('name') === 'CORE_VM_ENDPOINT')
      const v = isMap(item) ? item.get('value', true) : undefined
      if (!isScalar(v)) throw new CannotEdit(`CORE_VM_ENDPOINT of container "${c.name}" is not written in its env`)
      const edit = replaceScalar(v, '""')
      this.addAt(edit.from, rule, c, `CORE_VM_ENDPOINT set to "" in container "${c.name}"`, [edit])
      return
    }

    const cm = ref ? this.a.ctx.configMaps.get(this.a.namespace, ref) : undefined
    const at = cm ? this.configMaps.get(cm) : undefined
    if (at && (from === 'envFrom' || from === 'valueFrom')) {
      let key = 'CORE_VM_ENDPOINT'
      if (from === 'valueFrom') {
        const raw = (c.raw.env as Obj[]).findLast((x) => x?.name === 'CORE_VM_ENDPOINT')
        key = String(raw?.valueFrom?.configMapKeyRef?.key)
      }

      const data = at.node.get('data', true)
      if (!isMap(data)) throw new CannotEdit(`ConfigMap ${ref} has no data mapping`)
      const edit = replaceScalar(data.get(key, true) as Node, '""')
      this.addIn(at, edit, rule, c, `CORE_VM_ENDPOINT set to "" in ConfigMap "${ref}" (key ${key})`)
      return
    }

    if (at && from === 'core.yaml') {
      const edit = coreYamlEndpoint(at)
      if (edit) {
        this.addIn(at, edit, rule, c, `vm.endpoint set to "" in core.yaml of ConfigMap "${ref}"`)
        return
      }
    }

    if (from === 'valueFrom')
      throw new CannotEdit(`CORE_VM_ENDPOINT comes from ${ref ?? 'a reference'} outside the input`)
    // envFrom or core.yaml outside the input: an env entry overrides both
    this.appendEnv(
      n,
      [envItem('CORE_VM_ENDPOINT', '""')],
      rule,
      `CORE_VM_ENDPOINT="" added to container "${c.name}" (overrides ${from === 'core.yaml' ? 'core.yaml' : 'envFrom'} ${ref ?? ''})`.trimEnd(),
    )
  }

  /** Set CORE_VM_ENDPOINT to "" where it is set; returns the peers whose Docker set-up changed. */
  private endpoints(): Set<ContainerInfo> {
    const touched = new Set<ContainerInfo>()
    for (const n of this.nodes) {
      const {c} = n
      if (this.removedContainers.has(c)) continue
      const peer = isPeer(c)
      const rule = peer ? 'peer-vm-endpoint' : 'vm-endpoint-non-peer'
      if (peer && this.changed) touched.add(c)
      const e = peer ? vmEndpoint(this.a, c) : c.env.get('CORE_VM_ENDPOINT')
      if (!e || (e.value !== null && e.value.trim() === '')) continue
      if (this.suppressed(this.a, rule, c.name)) continue
      if (!peer && !isFabric(c)) continue
      touched.add(c)
      this.attempt(rule, c, () => this.endpoint(n, e.from, e.ref, rule))
    }

    return peersOf(touched)
  }

  private isRemovedMount(m: unknown): boolean {
    return isMap(m) && this.removedVolumes.has(String(m.get('name')))
  }

  private privileged(): void {
    for (const n of this.nodes) {
      if (this.removedContainers.has(n.c) || !n.c.sc.privileged || !isFabric(n.c)) continue
      if (this.suppressed(this.a, 'privileged-container', n.c.name)) continue
      this.attempt('privileged-container', n.c, () => {
        const sc = own(n.node, 'securityContext', `securityContext of container "${n.c.name}"`)
        const privileged = isMap(sc) ? sc.get('privileged', true) : undefined
        if (!isScalar(privileged)) throw new CannotEdit('privileged is not set in the container')
        const edit = replaceScalar(privileged, 'false')
        this.addAt(
          edit.from,
          'privileged-container',
          n.c,
          `privileged turned off in container "${n.c.name}" (it needed it only for Docker)`,
          [edit],
        )
      })
    }
  }

  private sockets(): void {
    const w = this.a.workload!
    for (const v of w.volumes.values()) {
      if (!v.hostPathClass || this.removedVolumes.has(v.name)) continue
      const users = this.nodes.filter(
        (n) => !this.removedContainers.has(n.c) && n.c.mounts.some((m) => m.name === v.name),
      )
      const rule = users.length === 0 ? 'runtime-socket-volume' : 'docker-socket-mount'
      if (users.some((n) => this.suppressed(this.a, rule, n.c.name)) || this.suppressed(this.a, rule, null)) continue
      const others = users.filter((n) => !isFabric(n.c))
      if (others.length > 0) {
        for (const n of users)
          this.notFixed(
            'docker-socket-mount',
            n.c,
            `volume "${v.name}" (${v.hostPath}) is mounted by ${others.map((x) => `"${x.c.name}"`).join(', ')}, not a Fabric container: it may need the socket`,
          )
        continue
      }

      this.attempt(rule, null, () => {
        // every mount must be written in its container (not brought in by a `<<` merge key) before any is dropped
        for (const n of users) own(n.node, 'volumeMounts', `volumeMounts of container "${n.c.name}"`)
        this.dropMounts(v.name)
        this.removedVolumes.add(v.name)
        const vols = this.spec!.get('volumes', true) as unknown as YAMLSeq
        const item = vols.items.find((x) => isMap(x) && x.get('name') === v.name) as Node
        this.addAt(
          item.range![0],
          rule,
          null,
          `removed the hostPath volume "${v.name}" (${v.hostPath})`,
          [], // the volume's lines go with dropEmptied(), which sees every removal at once
        )
      })
    }
  }
}

function peersOf(set: Set<ContainerInfo>): Set<ContainerInfo> {
  return new Set([...set].filter((c) => isPeer(c)))
}

/**
 * vm.endpoint inside a ConfigMap's `core.yaml` block scalar (`|`): its value's position in the inner text, mapped back
 * to the file (each inner line sits at the block's indentation). null when the value is not a block literal.
 */
function coreYamlEndpoint(cm: Located): Edit | null {
  const data = cm.node.get('data', true)
  if (!isMap(data)) return null
  const block = data.get('core.yaml', true)
  if (!isScalar(block) || block.type !== 'BLOCK_LITERAL' || !block.range) return null
  const inner = String(block.value)
  const doc = parseAllDocuments(inner)
  const d = Array.isArray(doc) ? doc[0] : doc
  if (!d || d.errors.length > 0) return null
  const ep = d.getIn(['vm', 'endpoint'], true)
  if (!isScalar(ep) || !ep.range) return null
  const {text} = cm
  const bodyStart = text.indexOf('\n', block.range[0]) + 1
  const first = /[^ \n]/.exec(text.slice(bodyStart))
  if (!first) return null
  const firstLineStart = text.lastIndexOf('\n', bodyStart + first.index - 1) + 1
  const indent = bodyStart + first.index - firstLineStart
  const map = (off: number): number => {
    const k = inner.slice(0, off).split('\n').length - 1
    const col = off - (inner.lastIndexOf('\n', off - 1) + 1)
    let ls = bodyStart
    for (let i = 0; i < k; i++) ls = text.indexOf('\n', ls) + 1
    return ls + indent + col
  }

  const from = map(ep.range[0])
  const to = map(ep.range[1])
  const expected = inner.slice(ep.range[0], ep.range[1])
  if (text.slice(from, to) !== expected) return null
  return {from, insert: '""', to}
}
