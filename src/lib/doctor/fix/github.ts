/**
 * `doctor --fix` for a GitHub Actions workflow (model/github.ts: one workload per job; its container runs the steps,
 * each `services:` entry is a container). What is structurally safe is changed the way compose.ts does it:
 *  - a Docker-in-Docker service is removed when only Fabric containers use it and the steps do not talk to it
 *    through DOCKER_HOST;
 *  - socket mounts (`volumes:` items, `-v`/`--volume`/`--mount` in `options:`) and `--privileged` are dropped from
 *    Fabric services; the job container keeps them when its steps may use Docker (`docker`, compose, a script or
 *    make): that socket serves the steps, not a Fabric peer, and is listed;
 *  - CORE_VM_ENDPOINT becomes "" in the `env:` that sets it (the container's, the job's or the workflow's);
 *  - a changed peer service without an external builder gets the ccaas_builder variables in its `env:`.
 * A `docker run … -v …docker.sock… <fabric-peer image>` in a `run:` step is a shell command: listed, not rewritten.
 */
import {isMap, isScalar, isSeq, type Node, type Scalar, type YAMLMap} from 'yaml'

import {bindParts, classifyBind, withDefaults} from '../model/containers.js'
import {dindReasons} from '../model/dind.js'
import {externalBuilderEvidence, isPeer} from '../model/fabric.js'
import {githubWorkloads} from '../model/github.js'
import {classifyHostPath} from '../model/sockets.js'
import {type Analyzed, type ContainerInfo} from '../model/types.js'
import {
  addEnv,
  asMap,
  builderVars,
  emptyEnv,
  FileFix,
  type FixPlan,
  type FormatInput,
  isFabric,
  line,
  noConfigMaps,
  own,
  peerName,
  removeFromList,
  type Suppressed,
} from './common.js'
import {CannotEdit, type Edit, removePair, replaceScalar} from './edits.js'

export const STEP_DOCKER = /\bdocker\b|\bcompose\b|\.sh\b|\bmake\b|\bkind\b|\bminikube\b/

interface Box {
  c: ContainerInfo
  /** The map the container is written as (null for the runner, or a `container: image` string). */
  node: null | YAMLMap
  service: boolean
}

function isSocketBind(spec: string): boolean {
  const [source, target] = bindParts(spec)
  return target !== undefined && Boolean(classifyBind(withDefaults(source), target))
}

/**
 * `options:` without the tokens `drop` picks (a flag alone, or a flag with its value): the kept tokens as written,
 * joined by single spaces. Null when nothing would change.
 */
function rewriteOptions(value: string, drop: (flag: string, arg: string | undefined) => 0 | 1 | 2): null | string {
  const tokens = [...value.matchAll(/"[^"]*"|'[^']*'|\S+/g)].map((m) => m[0])
  const kept: string[] = []
  let changed = false
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    const [flag, inline] = t.startsWith('--') && t.includes('=') ? t.split(/=(.*)/s) : [t]
    const n = drop(flag, inline ?? tokens[i + 1]?.replaceAll(/^["']|["']$/g, ''))
    if (n === 0) kept.push(t)
    else {
      changed = true
      if (n === 2 && inline === undefined) i++
    }
  }

  return changed ? kept.join(' ') : null
}

function plainSafe(s: string): boolean {
  return s !== '' && !/^[\s!"#%&'*,:>?@[\]`{|}]|^-\s/.test(s) && !/: | #|\s$/.test(s)
}

class JobFix extends FileFix {
  private readonly boxes: Box[] = []
  private readonly removed = new Set<Box>()
  private readonly servicesNode: undefined | YAMLMap
  private readonly steps: string
  /** Boxes whose `--privileged` went with the socket options (one rewrite of `options:`). */
  private readonly unprivileged = new Set<Box>()

  constructor(
    plan: FixPlan,
    private readonly input: FormatInput,
    private readonly job: YAMLMap,
    a: Analyzed,
    suppressed: Suppressed,
  ) {
    super(plan, input.file, input.text, a, suppressed)
    const [main, ...services] = a.workload!.containers
    this.steps = main.cmd
    this.boxes.push({c: main, node: asMap(job.get('container', true)) ?? null, service: false})
    this.servicesNode = asMap(job.get('services', true))
    for (const c of services) this.boxes.push({c, node: asMap(this.servicesNode?.get(c.name, true)) ?? null, service: true})
  }

  run(): void {
    this.dind()
    this.sockets()
    this.endpoints()
    this.builders()
    this.privileged()
    this.stepPeers()
  }

  private builders(): void {
    for (const b of this.boxes) {
      if (!b.service || this.removed.has(b) || !isPeer(b.c) || !this.touched.has(b.c)) continue // the job container runs steps
      if (externalBuilderEvidence(this.a, b.c) || this.isSuppressed('peer-no-external-builder', b.c)) continue
      const name = peerName(b.c, b.c.name)
      this.attempt('peer-no-external-builder', b.c, () => {
        if (!b.node) throw new CannotEdit(`"${b.c.name}" is written as an image name only`)
        const edit = addEnv(this.text, b.node, 'env', builderVars(b.c, name))
        this.add('peer-no-external-builder', b.c, `ccaas_builder external builder added to "${b.c.name}" (peername ${name})`, [
          edit,
        ])
      })
    }
  }

  private dind(): void {
    const fabric = this.boxes.some((b) => isFabric(b.c) && dindReasons(b.c).length === 0)
    const main = this.boxes[0]
    for (const d of this.boxes) {
      if (!d.service || dindReasons(d.c).length === 0 || this.isSuppressed('dind-sidecar', d.c)) continue
      const host = new RegExp(String.raw`(^|[/@])${d.c.name.replaceAll('.', String.raw`\.`)}(:|/|$)`)
      const users = this.boxes.filter((b) => b !== d && [...b.c.env.values()].some((e) => host.test(e.value ?? '')))
      const others = users.filter((b) => !isFabric(b.c))
      const dockerHost = main.c.env.get('DOCKER_HOST')?.value ?? ''
      let reason: null | string = null
      if (!fabric) reason = 'no Fabric container in this job: something else may need this daemon'
      else if (host.test(dockerHost) && STEP_DOCKER.test(this.steps))
        reason = `the job's steps may use Docker against it (DOCKER_HOST=${dockerHost}; ${this.stepHint()}): it is not only a Fabric peer's`
      else if (others.length > 0)
        reason = `used by ${others.map((b) => `"${b.c.name}"`).join(', ')}, not a Fabric container: it may need the daemon`
      if (reason) {
        this.notFixed('dind-sidecar', d.c, reason)
        continue
      }

      this.attempt('dind-sidecar', d.c, () => {
        const left = this.boxes.filter((b) => b.service && !this.removed.has(b) && b !== d)
        const edits =
          left.length === 0 ? removePair(this.text, this.job, 'services') : removePair(this.text, this.servicesNode!, d.c.name)
        this.removed.add(d)
        this.add('dind-sidecar', d.c, `removed the Docker-in-Docker service "${d.c.name}"`, edits)
        for (const u of users) this.touched.add(u.c)
      })
    }
  }

  private endpoints(): void {
    for (const b of this.boxes) {
      if (this.removed.has(b)) continue
      const e = b.c.env.get('CORE_VM_ENDPOINT')
      if (!e || (e.value !== null && e.value.trim() === '')) continue
      const rule = isPeer(b.c) ? 'peer-vm-endpoint' : 'vm-endpoint-non-peer'
      if (!isFabric(b.c) || this.isSuppressed(rule, b.c)) continue
      this.attempt(rule, b.c, () => {
        // where it is written: the container's env, else the job's, else the workflow's (the job container only)
        const owners = b.service ? [b.node] : [b.node, this.job, this.input.node]
        for (const o of owners) {
          const env = o ? own(o, 'env', 'env') : undefined
          if (env && isMap(env) && env.has('CORE_VM_ENDPOINT')) {
            const edit = emptyEnv(this.text, env, 'CORE_VM_ENDPOINT')
            this.add(rule, b.c, `CORE_VM_ENDPOINT set to "" for "${b.c.name}"`, [edit])
            return
          }
        }

        throw new CannotEdit('CORE_VM_ENDPOINT is not written in an env mapping')
      })
    }
  }

  /** Drop option tokens; `options:` goes when none is left. */
  private options(b: Box, drop: Parameters<typeof rewriteOptions>[1]): Edit[] {
    const node = own(b.node!, 'options', 'options')
    if (!isScalar(node) || typeof node.value !== 'string') return []
    const next = rewriteOptions(node.value, drop)
    if (next === null) return []
    if (next === '') return removePair(this.text, b.node!, 'options')
    const plain = (node as Scalar).type === 'PLAIN' && plainSafe(next)
    return [replaceScalar(node as Node, plain ? next : `'${next.replaceAll("'", "''")}'`)]
  }

  private privileged(): void {
    for (const b of this.boxes) {
      if (this.removed.has(b) || !b.c.sc.privileged || !isFabric(b.c) || !this.touched.has(b.c) || !b.node) continue
      if ((!b.service && STEP_DOCKER.test(this.steps)) || this.unprivileged.has(b)) continue // the steps may need it
      if (this.isSuppressed('privileged-container', b.c)) continue
      this.attempt('privileged-container', b.c, () => {
        const edits = this.options(b, (f, v) => (f === '--privileged' ? (v === 'true' || v === 'false' ? 2 : 1) : 0))
        this.add('privileged-container', b.c, `--privileged removed from the options of "${b.c.name}"`, edits)
      })
    }
  }

  private sockets(): void {
    const {volumes} = this.a.workload!
    for (const b of this.boxes) {
      if (this.removed.has(b)) continue
      const socket = b.c.mounts.filter((m) => volumes.get(m.name)?.hostPathClass)
      if (socket.length === 0 || this.isSuppressed('docker-socket-mount', b.c)) continue
      if (!isFabric(b.c)) {
        this.notFixed('docker-socket-mount', b.c, `"${b.c.name}" (${b.c.image}) is not a Fabric container: it may need the socket`)
        continue
      }

      if (!b.service && STEP_DOCKER.test(this.steps)) {
        this.notFixed(
          'docker-socket-mount',
          b.c,
          `the job's steps run in this container and may use Docker through the socket (${this.stepHint()}): it serves the steps, not a Fabric peer`,
        )
        continue
      }

      this.attempt('docker-socket-mount', b.c, () => {
        if (!b.node) throw new CannotEdit(`"${b.c.name}" is written as an image name only`)
        const edits: Edit[] = []
        const vols = own(b.node, 'volumes', 'volumes')
        if (isSeq(vols)) {
          const seq = vols
          const idx = seq.items.flatMap((x, i) => (isScalar(x) && isSocketBind(String(x.value)) ? [i] : []))
          edits.push(...removeFromList(this.text, b.node, 'volumes', seq, idx))
        }

        const priv = b.c.sc.privileged && !this.isSuppressed('privileged-container', b.c)
        const optionEdits = this.options(b, (f, v) => {
            if (priv && f === '--privileged') return v === 'true' || v === 'false' ? 2 : 1
            if (f === '-v' || f === '--volume') return isSocketBind(v ?? '') ? 2 : 0
            if (f === '--mount') {
              const kv = Object.fromEntries((v ?? '').split(',').map((x) => x.split('=')))
              return kv.type === 'bind' && classifyHostPath(kv.source ?? kv.src) ? 2 : 0
            }

            return 0
          })
        edits.push(...optionEdits)
        const where = socket.map((m) => `${volumes.get(m.name)?.hostPath} at ${m.mountPath}`).join(', ')
        this.add('docker-socket-mount', b.c, `removed the mount of ${where} from "${b.c.name}"`, edits)
        if (priv && optionEdits.length > 0) {
          this.unprivileged.add(b)
          this.add('privileged-container', b.c, `--privileged removed from the options of "${b.c.name}"`, optionEdits)
        }
      })
    }
  }

  private stepHint(): string {
    const steps = this.job.get('steps', true)
    if (isSeq(steps))
      for (const s of steps.items) {
        const run = isMap(s) ? s.get('run') : undefined
        if (typeof run === 'string' && STEP_DOCKER.test(run)) return `step \`${run.trim().split('\n')[0]}\``
      }

    return 'a step'
  }

  /** `docker run` in a step that starts a Fabric peer with the socket: a shell command, listed. */
  private stepPeers(): void {
    const steps = this.job.get('steps', true)
    if (!isSeq(steps)) return
    for (const s of steps.items) {
      if (!isMap(s)) continue
      const run = s.get('run', true) as Node | undefined
      const text = isScalar(run) ? String(run.value) : ''
      const cmds = text.replaceAll('\\\n', ' ').split(/\n|&&|;/)
      for (const cmd of cmds) {
        if (!/\bdocker\s+(run|create|container\s+(run|create))\b/.test(cmd)) continue
        if (!/fabric-peer|peer\s+node\s+start/.test(cmd)) continue
        const sock = /(?:-v|--volume)[\s=]+(\S*(?:docker|containerd|crio|podman)\.sock\S*)/.exec(cmd)
        if (!sock) continue
        this.notFixed(
          'docker-socket-mount',
          null,
          'a shell command in a run: step is not rewritten: drop the -v of the socket and pass -e CORE_VM_ENDPOINT= -e CORE_CHAINCODE_EXTERNALBUILDERS=… -e CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG=… (see the remediation of peer-no-external-builder)',
          {
            line: line(this.text, run?.range?.[0] ?? 0),
            message: `GitHubJob ${this.a.name}: a step starts a Fabric peer with \`docker run -v ${sock[1]}\`; doctor does not read shell commands`,
          },
        )
      }
    }
  }
}

export function fixGithub(plan: FixPlan, input: FormatInput, suppressed: Suppressed): void {
  const jobs = asMap(input.node.get('jobs', true))
  if (!jobs) return
  for (const w of githubWorkloads(input.value, input.pos)) {
    const job = asMap(jobs.get(w.name, true))
    if (job) new JobFix(plan, input, job, {...w, ctx: noConfigMaps()}, suppressed).run()
  }
}
