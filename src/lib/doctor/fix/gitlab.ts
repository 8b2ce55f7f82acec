/**
 * `doctor --fix` for a .gitlab-ci.yml (model/gitlab.ts: one workload per job, the job's image runs its script, each
 * `services:` entry is a container; `default` holds the global services). GitLab's DinD serves the script (`docker
 * build`, compose, a network script), so it is removed only where that is structurally safe:
 *  - a `docker:dind` service of a job whose script does not use Docker (no `docker`, compose, script file or make)
 *    and that runs Fabric containers, with the job's DOCKER_HOST/DOCKER_TLS_* variables; the global services, a
 *    template (`.name`, which other jobs extend) and a job whose script may use Docker keep theirs, listed;
 *  - CORE_VM_ENDPOINT becomes "" in the `variables:` that set it (the service's, the job's or the global ones);
 *  - a peer service whose Docker set-up changed gets the ccaas_builder variables (in its own `variables:` when it is
 *    written as a mapping, else in the job's, which GitLab passes to its services).
 */
import {isMap, isScalar, isSeq, type Node, type YAMLMap} from 'yaml'

import {dindReasons} from '../model/dind.js'
import {externalBuilderEvidence, isPeer} from '../model/fabric.js'
import {gitlabWorkloads} from '../model/gitlab.js'
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
  noConfigMaps,
  own,
  peerName,
  removeFromList,
  type Suppressed,
} from './common.js'
import {CannotEdit, removePair} from './edits.js'
import {STEP_DOCKER} from './github.js'

const DOCKER_VARS = new Set(['DOCKER_CERT_PATH', 'DOCKER_DRIVER', 'DOCKER_HOST', 'DOCKER_TLS_CERTDIR', 'DOCKER_TLS_VERIFY'])

class GitlabJobFix extends FileFix {
  private readonly removed = new Set<ContainerInfo>()

  constructor(
    plan: FixPlan,
    private readonly input: FormatInput,
    private readonly job: null | YAMLMap,
    a: Analyzed,
    suppressed: Suppressed,
  ) {
    super(plan, input.file, input.text, a, suppressed)
  }

  run(): void {
    const cs = this.a.workload!.containers
    if (!this.job) {
      for (const c of cs)
        if (dindReasons(c).length > 0 && !this.isSuppressed('dind-sidecar', c))
          this.notFixed('dind-sidecar', c, 'a default service serves every job: remove it where no job needs Docker')
      return
    }

    this.dind(cs)
    this.endpoints(cs)
    this.builders(cs)
  }

  private builders(cs: ContainerInfo[]): void {
    for (const [i, c] of cs.entries()) {
      if (i === 0 || !isPeer(c) || !this.touched.has(c) || this.removed.has(c)) continue
      if (externalBuilderEvidence(this.a, c) || this.isSuppressed('peer-no-external-builder', c)) continue
      const name = peerName(c, c.name)
      this.attempt('peer-no-external-builder', c, () => {
        const node = this.serviceNode(i)
        const edit = node
          ? addEnv(this.text, node, 'variables', builderVars(c, name))
          : addEnv(this.text, this.job!, 'variables', builderVars(c, name))
        this.add('peer-no-external-builder', c, `ccaas_builder external builder added for service "${c.name}" (peername ${name})`, [edit])
      })
    }
  }

  private dind(cs: ContainerInfo[]): void {
    const [main] = cs
    const fabric = cs.some((c) => isFabric(c) && dindReasons(c).length === 0)
    for (const [i, d] of cs.entries()) {
      if (i === 0 || dindReasons(d).length === 0 || this.isSuppressed('dind-sidecar', d)) continue
      const script = STEP_DOCKER.exec(main.cmd)
      let reason: null | string = null
      if (this.a.name?.startsWith('.')) reason = 'a template: the jobs that extend it may need the daemon'
      else if (script)
        reason = `the job's script may use Docker through it (${this.scriptHint()}): it serves the script, not a Fabric peer`
      else if (!fabric) reason = 'no Fabric container in this job: something else may need this daemon'
      if (reason) {
        this.notFixed('dind-sidecar', d, reason)
        continue
      }

      this.attempt('dind-sidecar', d, () => {
        const seq = own(this.job!, 'services', 'services')
        if (!isSeq(seq)) throw new CannotEdit('services is not a list')
        const left = cs.filter((c, k) => k > 0 && c !== d && !this.removed.has(c))
        const edits = removeFromList(this.text, this.job!, 'services', seq, left.length === 0 ? seq.items.map((_, k) => k) : [i - 1])
        this.removed.add(d)
        this.add('dind-sidecar', d, `removed the Docker-in-Docker service "${d.name}"`, edits)
        const vars = asMap(own(this.job!, 'variables', 'variables'))
        if (vars) {
          const drop = vars.items.flatMap((p) => (isScalar(p.key) && DOCKER_VARS.has(String(p.key.value)) ? [String(p.key.value)] : []))
          this.also(
            drop.length === vars.items.length
              ? removePair(this.text, this.job!, 'variables')
              : drop.flatMap((k) => removePair(this.text, vars, k)),
          )
        }

        for (const c of cs) if (c.env.get('CORE_VM_ENDPOINT')) this.touched.add(c)
      })
    }
  }

  private endpoints(cs: ContainerInfo[]): void {
    for (const [i, c] of cs.entries()) {
      if (this.removed.has(c)) continue
      const e = c.env.get('CORE_VM_ENDPOINT')
      if (!e || (e.value !== null && e.value.trim() === '')) continue
      // a service inherits the job's variables: one edit where it is written, recorded on the first container
      if (dindReasons(c).length > 0 || cs.slice(0, i).some((x) => x.env.get('CORE_VM_ENDPOINT') === e)) continue
      const rule = isPeer(c) ? 'peer-vm-endpoint' : 'vm-endpoint-non-peer'
      if (!isFabric(c) || this.isSuppressed(rule, c)) continue
      this.attempt(rule, c, () => {
        const owners = [i > 0 ? this.serviceNode(i) : undefined, this.job!, this.input.node]
        for (const o of owners) {
          const vars = o ? own(o, 'variables', 'variables') : undefined
          if (vars && isMap(vars) && vars.has('CORE_VM_ENDPOINT')) {
            const edit = emptyEnv(this.text, vars as Node, 'CORE_VM_ENDPOINT')
            this.add(rule, c, `CORE_VM_ENDPOINT set to "" for "${c.name}"`, [edit])
            return
          }
        }

        throw new CannotEdit('CORE_VM_ENDPOINT is not written in a variables mapping')
      })
    }
  }

  private scriptHint(): string {
    for (const key of ['before_script', 'script', 'after_script']) {
      const v = this.job!.get(key, true)
      const lines = isSeq(v) ? v.items.map((x) => (isScalar(x) ? String(x.value) : '')) : isScalar(v) ? [String(v.value)] : []
      const hit = lines.find((l) => STEP_DOCKER.test(l))
      if (hit) return `\`${hit.trim().split('\n')[0]}\``
    }

    return 'its script'
  }

  /** The mapping a service is written as (undefined for `- image:tag`). */
  private serviceNode(i: number): undefined | YAMLMap {
    const seq = this.job?.get('services', true)
    return isSeq(seq) ? asMap(seq.items[i - 1]) : undefined
  }
}

export function fixGitlab(plan: FixPlan, input: FormatInput, suppressed: Suppressed): void {
  for (const w of gitlabWorkloads(input.value, input.pos)) {
    const job = w.name === 'default' && w.obj === input.value ? null : asMap(input.node.get(w.name, true))
    if (job === undefined) continue
    new GitlabJobFix(plan, input, job, {...w, ctx: noConfigMaps()}, suppressed).run()
  }
}
