import {Flags} from '@oclif/core'

import type {UpResult} from '../lib/up/up.js'

import {BaseCommand, kubeFlags} from '../base-command.js'
import {buildArg} from '../flags/build-arg.js'
import {duration} from '../flags/duration.js'
import {registry} from '../flags/registry.js'

const STEP_NAMES = ['build', 'load', 'push', 'package', 'deploy', 'register', 'ready']

export default class Up extends BaseCommand<typeof Up> {
  static override description = `The whole developer loop in one command: build → load → package → deploy → register → wait until the chaincode answers.

Each step first checks, read-only, whether its inputs changed, and does nothing when they did not: the image is rebuilt only when the build context (minus .dockerignore) or the build settings change; the nodes that already hold the image are left alone; the Deployment is applied only when what fabk8s would render differs from what runs; install/approve/commit run only for what the committed definition and the approvals lack. So a second "fabk8s up" with no change makes no Docker, Kubernetes or Fabric writes. A source change rebuilds, reloads and rolls out under a new immutable tag (<image>-<12 hex of the image ID>) without a new lifecycle round: the package ID does not depend on the image. A definition change (policy, collections, version) bumps the sequence.

The load step first finds out from the kube context and its nodes what the cluster is: kind, k3d or minikube (the image is loaded into the node containers' containerd, and older builds of it leave a node it was loaded into, except those Docker keeps and those a container uses), Docker Desktop or Rancher Desktop (they run on Docker's image store: nothing to load), or remote (then a registry is required). --dry-run shows it.

Registry mode (--registry or fabk8s.yaml image.registry), for shared and remote clusters: the push step replaces load: the image is pushed with your docker CLI (its \`docker login\` credentials) and the Deployment runs it by digest (repository@sha256:…); the push is skipped when the registry already has that digest.

Interrupt with Ctrl-C at any time; running "fabk8s up" again resumes.`
  static override examples = [
    '<%= config.bin %> up',
    '<%= config.bin %> up --dry-run',
    '<%= config.bin %> up --base-image node:20-bookworm-slim --json',
    '<%= config.bin %> up --skip register --skip ready',
    '<%= config.bin %> up --registry ghcr.io/acme',
  ]
  static override flags = {
    ...kubeFlags,
    'base-image': Flags.string({description: "sets the Dockerfile's BASE_IMAGE build argument"}),
    'build-arg': buildArg({description: 'KEY=VALUE build argument (repeatable)', multiple: true}),
    cluster: Flags.string({description: 'kind cluster (default: fabk8s.yaml kind.cluster)'}),
    'docker-network': Flags.string({
      description: 'docker build --network (e.g. host, for engines without a bridge)',
      env: 'FABK8S_DOCKER_NETWORK',
    }),
    'dry-run': Flags.boolean({default: false, description: 'print the plan: what would run and why; change nothing'}),
    registry: registry(),
    skip: Flags.string({description: 'leave out a step (repeatable)', multiple: true, options: STEP_NAMES}),
    'take-over': Flags.boolean({
      default: false,
      description:
        'replace the relay of a `fabk8s dev` session that is still running (else exit 11); that session then stops',
    }),
    timeout: duration('3m', {
      description: 'how long to wait for the rollout and for the chaincode to answer (90s, 5m, or seconds)',
    }),
    verbose: Flags.boolean({char: 'v', default: false, description: 'show every progress line'}),
  }

  protected async execute(): Promise<UpResult> {
    const project = await this.project()
    const {upTasks} = await import('../lib/up/up.js')
    const list = upTasks(project, {
      baseImage: this.flags['base-image'],
      buildArgs: this.flags['build-arg'],
      cluster: this.flags.cluster,
      context: this.flags.context,
      dockerNetwork: this.flags['docker-network'],
      dryRun: this.flags['dry-run'],
      kubeconfig: this.flags.kubeconfig,
      namespace: this.flags.namespace,
      registry: this.flags.registry,
      signal: this.interruptSignal(),
      skip: this.flags.skip as undefined | UpResult['steps'][number]['step'][],
      takeOver: this.flags['take-over'],
      timeoutMs: this.flags.timeout,
      verbose: this.flags.verbose,
    })
    let r: UpResult
    try {
      r = await this.runTasks(list, {verbose: this.flags.verbose})
    } finally {
      // the steps connect while the progress shows: say how the context was chosen once it has ended (an error too)
      await this.noteKubeContext(list.clients())
    }

    const {c} = await import('../lib/ui/colors.js')
    const mark = {changed: c.good('✔'), planned: c.info('→'), skipped: c.dim('-'), unchanged: c.dim('=')}
    if (r.dryRun) this.say('Plan (nothing was changed):')
    if (r.cluster) this.say(`${c.dim('cluster')}  ${(await import('../lib/kube/cluster.js')).describeCluster(r.cluster)}`)
    else if (r.registry) this.say(`${c.dim('registry')} ${r.registry}: pushed there, deployed by digest`)
    for (const s of r.steps)
      this.say(`${mark[s.action]} ${s.step.padEnd(8)} ${s.detail}${r.dryRun ? '' : c.dim(` (${s.seconds}s)`)}`)
    const changed = r.steps.filter((s) => s.action === 'changed').length
    if (!r.dryRun)
      this.say(
        changed === 0
          ? `${c.good('Up to date')} in ${r.seconds}s: nothing changed.`
          : `${c.good('Done')} in ${r.seconds}s: ${changed} step(s) changed something.`,
      )
    return r
  }
}
