import {Flags} from '@oclif/core'

import type {ClusterDevResult, ClusterEvent} from '../lib/dev/cluster.js'
import type {DevEvent} from '../lib/dev/events.js'
import type {LocalDevResult} from '../lib/dev/session.js'
import type {TaskList} from '../lib/tasks.js'

import {BaseCommand, kubeFlags} from '../base-command.js'
import {buildArg} from '../flags/build-arg.js'
import {duration} from '../flags/duration.js'
import {FabError} from '../lib/errors.js'

export default class Dev extends BaseCommand<typeof Dev> {
  static override description = `Edit the contract and the peers call the new code at once, with a debugger attached. Runs until Ctrl-C.

Local mode (default): the chaincode runs on this machine and is rebuilt and restarted on every save (TypeScript: tsc --watch; JavaScript: a syntax check and a restart; Go: go build; Java: mvn compile and the pom's mainClass), with its debugger open (Node inspector; Delve for Go when dlv is installed; JDWP for Java). The peers keep dialing the address in connection.json: fabk8s swaps the chaincode Deployment's pods for a small relay that carries each peer connection back here over the Kubernetes API (port-forward streams through the API server), so nothing on this machine needs to be reachable from the cluster. TLS and mutual TLS pass through the relay untouched. The package ID never changes, so no lifecycle transaction is needed; when the definition is not committed yet, dev registers first (as up does). On Ctrl-C the Deployment is put back exactly as it was; if dev is killed, the next "fabk8s dev", "fabk8s up" or "fabk8s deploy" repairs it.

Cluster mode (--in-cluster): on every save, up's pipeline (build → load → roll out, with its change checks), printing each iteration's step times.

The relay image is made here from this machine's node binary (docker import; nothing is pulled) and loaded into the kind nodes; elsewhere than Linux it is built FROM --relay-base-image. For clusters other than kind, push a relay image to a registry the cluster pulls from and pass --relay-image.`
  static override examples = [
    '<%= config.bin %> dev',
    '<%= config.bin %> dev --debug-port 9230 --local-port 0',
    '<%= config.bin %> dev --no-debug',
    '<%= config.bin %> dev --in-cluster',
    '<%= config.bin %> dev --relay-image registry.example.com/fabk8s-relay:1',
  ]
  static override flags = {
    ...kubeFlags,
    'base-image': Flags.string({description: "--in-cluster: the Dockerfile's BASE_IMAGE build argument"}),
    'build-arg': buildArg({description: '--in-cluster: KEY=VALUE build argument (repeatable)', multiple: true}),
    cluster: Flags.string({description: 'kind cluster (default: fabk8s.yaml kind.cluster)'}),
    debug: Flags.boolean({allowNo: true, default: true, description: "open the chaincode runtime's debugger"}),
    'debug-port': Flags.integer({
      description: 'debugger port on 127.0.0.1 (default: Node 9229, Delve 2345, JDWP 5005; 0: any free port)',
      max: 65_535,
      min: 0,
    }),
    'docker-network': Flags.string({
      description: '--in-cluster: docker build --network (e.g. host)',
      env: 'FABK8S_DOCKER_NETWORK',
    }),
    'in-cluster': Flags.boolean({
      default: false,
      description: 'run the chaincode in the cluster: build → load → roll out on every save',
    }),
    'local-port': Flags.integer({
      description: 'where the local chaincode listens on 127.0.0.1 (default: chaincode.port; 0: any free port)',
      max: 65_535,
      min: 0,
    }),
    'relay-base-image': Flags.string({
      description: 'build the relay FROM this image (with node) instead of importing this machine’s node',
    }),
    'relay-image': Flags.string({description: 'use this relay image as it is (no build, no load)'}),
    streams: Flags.integer({default: 3, description: 'idle tunnel streams kept open', max: 32, min: 1}),
    'take-over': Flags.boolean({
      default: false,
      description:
        'replace the relay of another `fabk8s dev` session that is still running (else exit 11); that session then stops',
    }),
    timeout: duration('3m', {
      description: 'how long to wait for rollouts and for the chaincode to answer (90s, 5m, or seconds)',
    }),
  }

  protected async execute(): Promise<ClusterDevResult | LocalDevResult> {
    const project = await this.project()
    const inCluster = this.flags['in-cluster']
    const localOnly = ['local-port', 'debug-port', 'relay-image', 'relay-base-image'] as const
    for (const f of localOnly)
      if (inCluster && this.flags[f] !== undefined)
        throw new FabError('USAGE', `--${f} applies to local mode only, not with --in-cluster`)
    if (!inCluster)
      for (const f of ['base-image', 'build-arg'] as const)
        if (this.flags[f] !== undefined)
          throw new FabError('USAGE', `--${f} applies to --in-cluster only (local mode builds no image)`)

    const timeoutMs = this.flags.timeout
    const {isCI} = await import('../lib/ui/interactive.js')
    const {c} = await import('../lib/ui/colors.js')
    const {formatEvent, plain} = await import('../lib/dev/view.js')
    const fancy = !this.jsonEnabled() && !isCI() && Boolean(process.stderr.isTTY)
    const paint = fancy ? {bad: c.bad, dim: c.dim, good: c.good, info: c.info, warn: c.warn} : plain
    const print = (e: ClusterEvent | DevEvent) => {
      for (const line of formatEvent(e, paint)) process.stderr.write(`${paint.dim(stamp())} ${line}\n`)
    }

    // the Deployment the relay stands in for: named after the Service the peers dial (chaincode.address), which need
    // not be the project's name; an address runLocalDev refuses keeps the project's name here, its error comes there
    let relayed = project.name
    if (!inCluster)
      try {
        const {chaincodeTargets} = await import('../lib/kube/targets.js')
        relayed = chaincodeTargets(project, this.flags.namespace ?? project.kubernetes.namespace)[0].name
      } catch {}

    // Ctrl-C (the base command's interrupt: a second one leaves at once, exit 130), or SIGTERM/SIGHUP: stop, and
    // in local mode put the Deployment back first
    const ac = new AbortController()
    const stopping = () => {
      if (ac.signal.aborted) return
      process.stderr.write(
        `\n${paint.dim(stamp())} stopping${
          inCluster
            ? ''
            : `: putting deployment/${relayed} back (Ctrl-C again leaves at once; \`fabk8s dev\` or \`fabk8s up\` then puts it back)`
        }\n`,
      )
      if (!inCluster)
        this.leftOnSecondInterrupt = `left at once: deployment/${relayed} may still run the relay instead of the chaincode; \`fabk8s dev\` or \`fabk8s up\` puts it back`
      ac.abort()
    }

    this.interruptSignal().addEventListener('abort', stopping, {once: true})
    const sigs = ['SIGTERM', 'SIGHUP'] as const
    for (const s of sigs) process.on(s, stopping)
    // other libraries' task lists (register, load, up) run through the renderer: silent in local mode, whose set-up
    // has its own lines; up's progress per iteration in cluster mode (none under --json)
    const {runTasks} = await import('../render/tasks.js')
    const runList =
      (quiet: boolean) =>
      <R>(list: TaskList<R>): Promise<R> =>
        runTasks(list, {json: quiet, signal: ac.signal})
    try {
      if (inCluster) {
        const {runClusterDev} = await import('../lib/dev/cluster.js')
        const r = await runClusterDev(
          project,
          {
            baseImage: this.flags['base-image'],
            buildArgs: this.flags['build-arg'],
            cluster: this.flags.cluster,
            context: this.flags.context,
            dockerNetwork: this.flags['docker-network'],
            kubeconfig: this.flags.kubeconfig,
            namespace: this.flags.namespace,
            runList: runList(this.jsonEnabled()),
            signal: ac.signal,
            takeOver: this.flags['take-over'],
            timeoutMs,
          },
          print,
        )
        process.stderr.write(`${stamp()} stopped after ${r.iterations} iteration(s), ${r.failed} failed\n`)
        return r
      }

      const {runLocalDev} = await import('../lib/dev/session.js')
      const emit = fancy ? await setupRenderer(print) : print
      const r = await runLocalDev(
        project,
        {
          cluster: this.flags.cluster,
          context: this.flags.context,
          debug: this.flags.debug,
          debugPort: this.flags['debug-port'],
          kubeconfig: this.flags.kubeconfig,
          localPort: this.flags['local-port'],
          namespace: this.flags.namespace,
          relayBaseImage: this.flags['relay-base-image'],
          relayImage: this.flags['relay-image'],
          runList: runList(true),
          signal: ac.signal,
          streams: this.flags.streams,
          takeOver: this.flags['take-over'],
          timeoutMs,
        },
        emit,
      )
      process.stderr.write(
        `${paint.dim(stamp())} stopped: ${r.restarts} restart(s), ${r.peerConnections} peer connection(s) in ${Math.round(r.seconds)}s\n`,
      )
      return r
    } finally {
      for (const s of sigs) process.removeListener(s, stopping)
    }
  }
}

/** hh:mm:ss, the prefix of every event line. */
function stamp(): string {
  return new Date().toTimeString().slice(0, 8)
}

/**
 * On a terminal: the set-up steps as a listr2 list (spinners, steps in parallel where they run so), then the
 * running session as timestamped lines. Returns the event sink.
 */
async function setupRenderer(print: (e: DevEvent) => void): Promise<(e: DevEvent) => void> {
  const {SETUP_STEPS} = await import('../lib/dev/events.js')
  const {stepTitle} = await import('../lib/dev/view.js')
  const {runTasks} = await import('../render/tasks.js')
  type Step = (typeof SETUP_STEPS)[number]
  const waiters = new Map<Step, {reject: (e: Error) => void; resolve: (detail: string) => void; skip?: string}>()
  const titles = new Map<Step, (t: string) => void>()
  const settled = new Promise<void>((resolve) => {
    const tasks = SETUP_STEPS.map((step) => ({
      run: (task: {skip: (m: string) => void; title: string}) =>
        new Promise<void>((res, rej) => {
          titles.set(step, (t) => {
            task.title = t
          })
          waiters.set(step, {
            reject: rej,
            resolve(detail) {
              task.title = detail
              res()
            },
          })
        }).catch((error: Error) => {
          if (error.message.startsWith('skip:')) task.skip(`${stepTitle(step)}: ${error.message.slice(5)}`)
          else throw error
        }),
      title: stepTitle(step),
    }))
    // a failed step is printed as an event line once the list has closed; the list itself only draws
    runTasks({concurrent: true, exitOnError: false, result() {}, tasks})
      .catch(() => {})
      .finally(resolve)
  })
  // list → (the list closes, events wait) → lines
  let phase: 'flush' | 'lines' | 'list' = 'list'
  const buffered: DevEvent[] = []
  return (e) => {
    if (phase === 'lines') {
      print(e)
      return
    }

    if (phase === 'flush') {
      buffered.push(e)
      return
    }

    if (e.type === 'step' && e.step !== 'restore') {
      const w = waiters.get(e.step)
      const title = `${stepTitle(e.step)}: ${e.detail}`
      switch (e.status) {
        case 'done': {
          w?.resolve(`${title}${e.seconds === undefined ? '' : ` (${e.seconds.toFixed(2)}s)`}`)
          break
        }

        case 'skipped': {
          w?.reject(new Error(`skip:${e.detail}`))
          break
        }

        case 'start': {
          titles.get(e.step)?.(title)
          break
        }

        default: {
          w?.reject(new Error(title))
          // the other steps will not come: close the list
          for (const [step, other] of waiters) if (step !== e.step) other.reject(new Error('skip:not reached'))
          phase = 'flush'
          settled.then(() => {
            for (const b of buffered.splice(0)) print(b)
            phase = 'lines'
          })
        }
      }

      return
    }

    buffered.push(e)
    if (e.type === 'ready' || e.type === 'step') {
      for (const other of waiters.values()) other.reject(new Error('skip:not needed'))
      phase = 'flush'
      settled.then(() => {
        for (const b of buffered.splice(0)) print(b)
        phase = 'lines'
      })
    }
  }
}
