import {Flags} from '@oclif/core'

import type {FabricView} from '../lib/fabric/status.js'
import type {ChaincodeSetStatus} from '../lib/kube/status.js'

import {BaseCommand, kubeFlags} from '../base-command.js'
import {checkPackageIdFlag} from '../flags/package-id.js'

export interface StatusResult extends ChaincodeSetStatus {
  /** The kube context read. */
  context: string
  /** What Fabric's _lifecycle says, when fabk8s.yaml has a network (and --no-fabric is not given). */
  fabric?: FabricView
  /** The package ID fabk8s.yaml builds now (undefined when it cannot be built, e.g. TLS files missing). */
  localPackageId?: string
}

export default class Status extends BaseCommand<typeof Status> {
  static override description = `Show the chaincode running in Kubernetes: readiness, image, package ID, pods.

The package ID is the CHAINCODE_ID the pods run. With --package-id (the ID installed and approved on the peers), a difference is shown loudly: the peer would dial a server that answers with another ID, and every invoke fails.`
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --package-id mycc_1.0:4f2c…',
    '<%= config.bin %> status --json',
  ]
  static override flags = {
    ...kubeFlags,
    fabric: Flags.boolean({
      allowNo: true,
      default: true,
      description:
        "compare the running CHAINCODE_ID with what fabk8s.yaml network's peers installed and its orgs approved",
    }),
    'package-id': Flags.string({
      description:
        'the package ID the peers expect (default, with a network in fabk8s.yaml: the one every org approved)',
    }),
  }

  protected async execute(): Promise<StatusResult> {
    await checkPackageIdFlag(this.flags['package-id'])
    const project = await this.project()
    const {connect} = await import('../lib/kube/client.js')
    const {chaincodeSetStatus} = await import('../lib/kube/status.js')
    const {chaincodeTargets} = await import('../lib/kube/targets.js')
    const namespace = this.flags.namespace ?? project.kubernetes.namespace
    const kube = await connect({context: this.flags.context, kubeconfig: this.flags.kubeconfig, namespace, project})
    await this.noteKubeContext(kube)
    const s: StatusResult = {
      context: kube.kc.currentContext,
      ...(await chaincodeSetStatus(kube, {
        chaincode: project.name,
        expectedPackageId: this.flags['package-id'],
        namespace,
        targets: chaincodeTargets(project, namespace),
      })),
    }
    try {
      const {buildPackage} = await import('../lib/fabric/package.js')
      s.localPackageId = (await buildPackage(project)).packageId
    } catch {
      s.localPackageId = undefined
    }

    if (project.network && this.flags.fabric) {
      const {fabricView} = await import('../lib/fabric/status.js')
      s.fabric = await fabricView(project, s.localPackageId ?? '', s.packageId)
      const approved = [...new Set(Object.values(s.fabric.approved).filter((x): x is string => x !== null))]
      if (!s.expectedPackageId && approved.length === 1) {
        s.expectedPackageId = approved[0]
        s.packageIdMatches = s.packageId === approved[0]
        for (const d of s.deployments) {
          d.expectedPackageId = approved[0]
          d.packageIdMatches = d.packageId === approved[0]
        }
      }
    }

    if (this.jsonEnabled()) return s
    const {c} = await import('../lib/ui/colors.js')
    const row = (k: string, v: string) => this.say(`${c.dim(k.padEnd(11))}${v}`)
    row('chaincode', `${project.name} (namespace ${namespace}, context ${s.context})`)
    if (s.found) {
      const state = s.ready
        ? c.good('ready')
        : s.available > 0
          ? c.warn('rolling out (the previous revision still serves)')
          : c.bad('not ready')
      row('deployment', `${state} ${s.available}/${s.replicas} available (${s.summary})`)
      // one Deployment per peer name: a line for each (the rows above sum them up)
      if (s.deployments.length > 1) {
        const w = Math.max(...s.deployments.map((d) => (d.peername ?? '').length))
        for (const d of s.deployments)
          this.say(
            `  ${(d.peername ?? '').padEnd(w)}  ${d.found ? (d.ready ? c.good('ready') : c.warn('not ready')) : c.bad('missing')} deployment/${d.name} ${d.available}/${d.replicas}, ${d.address} (${d.peers.join(', ')})${d.found && d.packageId !== s.packageId ? c.bad(` runs ${d.packageId ?? '(none)'}`) : ''}`,
          )
      }

      row('image', s.image ?? '? (the Deployments run different images)')
      if (s.dev)
        row(
          'dev',
          c.warn(
            `the pods are \`fabk8s dev\`'s relay (${s.dev}): the peers reach the chaincode running on that machine; Ctrl-C there (or fabk8s up) puts the Deployment back`,
          ),
        )
      if (s.image) row('from', (await import('../lib/image/registry.js')).describeImageSource(s.image))
      row('package ID', s.packageId ?? '? (no CHAINCODE_ID in the pod template, or the Deployments differ)')
      if (s.deployments.length === 1)
        row(
          'service',
          s.service
            ? `${s.service.name}:${s.service.port ?? '?'}${s.service.clusterIP ? ` (${s.service.clusterIP})` : ''}`
            : c.warn('missing'),
        )
      row('pods', s.pods.length === 0 ? c.warn('none') : '')
      for (const p of s.pods)
        this.say(
          `  ${p.name}  ${p.phase ?? '?'}  ${p.ready ? c.good('ready') : c.warn('not ready')}  restarts ${p.restarts}${p.reason ? `  ${c.warn(p.reason)}` : ''}` +
            (p.packageId && p.packageId !== s.packageId ? c.dim(`  runs ${p.packageId}`) : ''),
        )
      for (const pr of s.problems.slice(0, 3)) this.say(c.warn(`  ${pr.pod}: ${pr.reason}: ${pr.message}`))
    } else {
      for (const d of s.deployments.length > 1 ? s.deployments.filter((x) => x.found) : [])
        this.say(`  ${d.peername}: deployment/${d.name} ${d.ready ? c.good('ready') : c.warn('not ready')}`)
      this.say(c.warn(s.summary))
      this.say(c.dim('deploy it with: fabk8s deploy'))
    }

    if (s.fabric) {
      const f = s.fabric
      if (f.error) this.say(c.warn(`fabric     could not read _lifecycle: ${f.error}`))
      else {
        row('committed', f.committedSequence === null ? c.warn('not committed') : `sequence ${f.committedSequence}`)
        for (const [org, id] of Object.entries(f.approved))
          row(
            `  ${org}`,
            id === null
              ? c.warn('no approval')
              : `approved ${id}${id === s.packageId && s.available > 0 ? c.good(' (running)') : ''}`,
          )
        if (s.packageId)
          row(
            'installed',
            f.missingOn.length === 0
              ? c.good(`on all ${f.installedOn.length} peer(s)`)
              : c.bad(`missing on ${f.missingOn.join(', ')}`),
          )
        if (f.planned)
          row(
            'next',
            c.warn(
              `sequence ${f.planned.sequence}: ${f.planned.reason}; fabk8s up (or fabk8s register) approves and commits it`,
            ),
          )
      }
    }

    if (s.expectedPackageId && (!s.found || s.replicas === 0)) {
      // nothing runs: no package ID to mismatch, but the peers will dial a server that is not there
      this.say(c.bad(`the peers expect ${s.expectedPackageId}, and nothing runs it: every invoke will fail`))
      this.say(c.dim('start it with: fabk8s up (or fabk8s deploy)'))
      this.note(c.bad(`${s.found ? 'scaled to 0' : 'not deployed'}: the peers expect ${s.expectedPackageId}`))
    } else if (s.expectedPackageId && s.packageIdMatches === false) {
      const bar = '!'.repeat(72)
      const lines = [
        bar,
        `!! PACKAGE ID MISMATCH: the peers expect ${s.expectedPackageId}`,
        `!! but the pods run CHAINCODE_ID ${s.packageId ?? '(none)'}.`,
        '!! The peer will dial the chaincode server and every invoke will fail.',
        '!! Fix: deploy the package the peers have (fabk8s deploy from the same fabk8s.yaml),',
        '!!      or install/approve the package the pods run.',
        bar,
      ]
      for (const l of lines) this.say(c.bad(l))
      this.note(c.bad(`package ID mismatch: expected ${s.expectedPackageId}, running ${s.packageId ?? '(none)'}`))
    } else if (s.expectedPackageId) this.say(c.good(`package ID matches the expected ${s.expectedPackageId}`))
    else if (s.found && s.localPackageId && s.packageId && s.localPackageId !== s.packageId)
      this.say(c.warn(`note: fabk8s.yaml now builds package ID ${s.localPackageId}; run fabk8s deploy to roll it out`))
    return s
  }
}
