/**
 * `fabk8s dev` in local mode: the chaincode runs on this machine and the peers keep dialing the address in
 * connection.json, where a relay now stands in for the chaincode's pods and carries each connection back here
 * through port-forward streams (nothing on this machine is reachable from the cluster, nor needs to be).
 *
 * Set-up: package ID → register when the definition is not committed yet (as `fabk8s up` does) → relay image
 * (made here, loaded into the kind nodes) → swap the Deployment's pods for the relay → build and start the local
 * chaincode (in parallel with the relay) → open the tunnel → check that the chaincode answers through the peers.
 * Then it runs until the signal aborts, and puts the Deployment back as it was.
 */
import net from 'node:net'
import os from 'node:os'
import {setTimeout as sleep} from 'node:timers/promises'

import type {KubeClients, KubeOptions} from '../kube/client.js'
import type {ManagedResource} from '../kube/down.js'
import type {ProjectConfig} from '../project/schema.js'
import type {TaskList} from '../tasks.js'
import type {DevEvent, DevListener, SetupStep} from './events.js'
import type {Runner} from './local/runner.js'
import type {RestoreOutcome, RestorePlan} from './swap.js'
import type {TunnelPool} from './tunnel.js'

import {FabError, messageOf} from '../errors.js'

export interface LocalDevOptions extends KubeOptions {
  /** kind cluster to load the relay image into (default fabk8s.yaml kind.cluster). */
  cluster?: string
  /** Open the runtime's debugger. */
  debug: boolean
  /** Debugger port; 0: any free port; default: the runtime's usual one (Node 9229, Delve 2345, JDWP 5005). */
  debugPort?: number
  /** Where the local chaincode listens (127.0.0.1); 0: any free port; default: chaincode.port. */
  localPort?: number
  namespace?: string
  /** Build the relay FROM this image instead of importing this machine's node. */
  relayBaseImage?: string
  /** Use this relay image as it is (no build, no load): e.g. one pushed to the cluster's registry. */
  relayImage?: string
  /**
   * Runs another library's task list (register, load) for this session: the command passes the renderer's
   * runTasks, silent (dev shows its own step lines). A library never draws.
   */
  runList: <R>(list: TaskList<R>) => Promise<R>
  /** Aborting ends the session (Ctrl-C): stop, then restore the Deployment. */
  signal: AbortSignal
  /** Idle tunnel streams kept open (default 3). */
  streams?: number
  /** --take-over: replace the relay of another `fabk8s dev` session that is still running (otherwise exit 11). */
  takeOver?: boolean
  /** How often the running session checks that its relay is still in place (tests; default 5 s). */
  takeOverPollMs?: number
  /** Rollout and readiness timeout. */
  timeoutMs: number
}

export interface LocalDevResult {
  debugPort?: number
  localPort: number
  mode: 'local'
  namespace: string
  packageId: string
  peerConnections: number
  relayImage?: string
  restarts: number
  /** What happened to the Deployment at the end. */
  restore: 'not-swapped' | RestoreOutcome
  seconds: number
}

const DEFAULT_DEBUG_PORT = {go: 2345, java: 5005, javascript: 9229, typescript: 9229} as const

const since = (t: bigint) => Math.round(Number(process.hrtime.bigint() - t) / 1e7) / 100

/** A port that is free on 127.0.0.1 now (0 asks the system for one). */
export async function freePort(port: number, what: string, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new FabError('USAGE', `${what}: port ${port} on 127.0.0.1 is in use (${error.code ?? error.message})`, {
          hint: `pass ${flag} N for another port, or ${flag} 0 for any free one`,
        }),
      ),
    )
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as net.AddressInfo).port
      s.close(() => resolve(got))
    })
  })
}

/** Who runs this session, for the Deployment's annotation (`user@host pid N since ISO`). */
export function sessionId(): string {
  let user = 'someone'
  try {
    user = os.userInfo().username
  } catch {
    // no passwd entry (containers): keep the placeholder
  }

  return `${user}@${os.hostname()} pid ${process.pid} since ${new Date().toISOString()}`
}

export async function runLocalDev(
  project: ProjectConfig,
  opts: LocalDevOptions,
  emit: DevListener,
): Promise<LocalDevResult> {
  const started = process.hrtime.bigint()
  const {usesPeername} = await import('../project/schema.js')
  // the relay takes the place of one Deployment; with {{.peername}} there is one per peer name
  if (usesPeername(project.chaincode.address))
    throw new FabError(
      'USAGE',
      `fabk8s dev runs the chaincode for one Deployment; chaincode.address ${project.chaincode.address} asks for one per peer name`,
      {hint: 'for fabk8s dev, use an address without {{.peername}} (e.g. in a copy of fabk8s.yaml)'},
    )
  const namespace = opts.namespace ?? project.kubernetes.namespace
  // the chaincode's Deployment, named after the Service the peers dial (an address in another namespace: exit 2)
  const [{name: deployment}] = (await import('../kube/targets.js')).chaincodeTargets(project, namespace)
  const cluster = opts.cluster ?? project.kind.cluster
  const session = sessionId()
  const counts = {peers: 0, restarts: 0}
  const out = (e: DevEvent) => {
    if (e.type === 'restarted' && !e.first) counts.restarts++
    if (e.type === 'peer') counts.peers++
    emit(e)
  }

  const step = async <T>(name: SetupStep, start: string, fn: () => Promise<{detail: string; value: T}>) => {
    const t = process.hrtime.bigint()
    out({detail: start, status: 'start', step: name, type: 'step'})
    try {
      const r = await fn()
      out({detail: r.detail, seconds: since(t), status: 'done', step: name, type: 'step'})
      return r.value
    } catch (error) {
      out({detail: messageOf(error), seconds: since(t), status: 'failed', step: name, type: 'step'})
      throw error
    }
  }

  const skip = (name: SetupStep, detail: string) => out({detail, status: 'skipped', step: name, type: 'step'})
  const aborted = () => {
    if (opts.signal.aborted) throw new FabError('ABORTED', 'interrupted during set-up')
  }

  // ports first: a clash is a usage error, found before anything changes
  const localPort = await freePort(opts.localPort ?? project.chaincode.port, 'the local chaincode', '--local-port')
  const debugPort = opts.debug
    ? await freePort(opts.debugPort ?? DEFAULT_DEBUG_PORT[project.language], 'the debugger', '--debug-port')
    : undefined

  let c: KubeClients | undefined
  let plan: RestorePlan | undefined
  let runner: Runner | undefined
  let pool: TunnelPool | undefined
  let relayImage: string | undefined
  let restore: LocalDevResult['restore'] = 'not-swapped'
  // the Service and TLS Secret this session created (none before it): they go with a Deployment it created
  const made: ManagedResource[] = []

  let putBackDone = false
  const putBack = async () => {
    if (putBackDone) return
    putBackDone = true
    await pool?.stop()
    await runner?.stop()
    if (c && plan) {
      const t = process.hrtime.bigint()
      out({detail: `putting deployment/${deployment} back`, status: 'start', step: 'restore', type: 'step'})
      const {swapOut} = await import('./swap.js')
      const r = await swapOut(c, {name: deployment, namespace, plan, session})
      restore = r.outcome
      if (r.outcome === 'restored') {
        const {runsOf} = await import('./swap.js')
        const {waitForRollout} = await import('../kube/rollout.js')
        const runs = runsOf(plan.applied!)
        await waitForRollout(c, {...runs, name: deployment, namespace, timeoutMs: opts.timeoutMs})
      }

      let alsoDeleted = ''
      if (r.outcome === 'deleted' && made.length > 0) {
        const {deleteManaged} = await import('../kube/down.js')
        await deleteManaged(c, made)
        alsoDeleted = ` and what dev made for it: ${made.map((m) => `${m.kind.toLowerCase()}/${m.name}`).join(', ')}`
      }

      const detail = {
        deleted: `deleted deployment/${deployment} (there was none before fabk8s dev)${alsoDeleted}`,
        gone: `deployment/${deployment} was deleted while dev ran (fabk8s down?): not put back`,
        restored: `deployment/${deployment} is back as it was (${plan.applied ? (await import('./swap.js')).runsOf(plan.applied).image : ''}) and rolled out`,
        'taken-over': r.by
          ? `left deployment/${deployment} alone: another fabk8s dev took it over (${r.by})`
          : `left deployment/${deployment} alone: it no longer runs the relay (fabk8s up or deploy applied the chaincode while dev ran)`,
      }[r.outcome]
      out({detail, seconds: since(t), status: 'done', step: 'restore', type: 'step'})
    }
  }

  try {
    const pkg = await step('package', 'computing the package ID', async () => {
      const {resolvePackage} = await import('../fabric/package-file.js')
      const p = await resolvePackage(project)
      return {detail: `package ID ${p.packageId} (unchanged by code changes)`, value: p}
    })
    const {packageId} = pkg

    // the local chaincode builds while the relay is made and swapped in
    const {localEnv} = await import('./local/env.js')
    const {createRunner} = await import('./local/runner.js')
    runner = createRunner({
      debugPort,
      emit: out,
      env: localEnv(project, packageId, {host: '127.0.0.1', port: localPort}),
      port: localPort,
      project,
    })
    const localReady = step('local', `building and starting: ${runner.describe()}`, async () => {
      await runner!.start()
      const listening = await isListening(localPort)
      return {
        detail: listening
          ? `listening on 127.0.0.1:${localPort}${runner!.debugger() ? `, debugger on 127.0.0.1:${debugPort}` : ''}`
          : 'not running: fix the errors above and save',
        value: listening,
      }
    })
    localReady.catch(() => {})

    if (project.network) {
      await step('register', 'checking the chaincode definition on the channel', async () => {
        const {lifecycleStatus} = await import('../fabric/status.js')
        const s = await lifecycleStatus(project, packageId)
        const needs = [
          ...s.peers.filter((p) => !p.hasPackage).map((p) => `install on ${p.address}`),
          ...s.orgs.filter((o) => !o.upToDate).map((o) => `approve for ${o.mspId}`),
          ...(s.plan.commit ? [`commit sequence ${s.plan.sequence}`] : []),
        ]
        if (needs.length === 0)
          return {detail: `sequence ${s.plan.sequence} committed on ${s.channel} with this package`, value: undefined}
        aborted()
        const {registerTasks} = await import('../fabric/register.js')
        const r = await opts.runList(registerTasks(project, pkg))
        return {detail: `sequence ${r.sequence}: ${needs.join(', ')}`, value: undefined}
      })
    } else skip('register', 'no network in fabk8s.yaml')

    aborted()
    relayImage = await step('relay-image', 'making the relay image', async () => {
      const {ensureRelayImage} = await import('./relay/image.js')
      const img = await ensureRelayImage({baseImage: opts.relayBaseImage, image: opts.relayImage})
      if (img.how === 'given') return {detail: `${img.image} (given; not loaded)`, value: img.image}
      const {loadTasks} = await import('../image/load.js')
      const r = await opts.runList(await loadTasks({cluster, image: img.image}))
      const loaded = r.nodes.filter((n) => n.action === 'loaded').length
      const made = img.made ? `made (${img.how === 'import' ? "this machine's node" : 'from a base image'})` : 'reused'
      return {
        detail: `${img.image} ${made}; ${loaded > 0 ? `loaded into ${loaded} node(s)` : 'already on every node'} of ${cluster}`,
        value: img.image,
      }
    })

    aborted()
    const {connect} = await import('../kube/client.js')
    // the session's signal ends the session, not the kube requests: putting the Deployment back after Ctrl-C
    // needs them (a second Ctrl-C leaves at once)
    c = await connect({...opts, namespace, project, signal: undefined})
    const kube = c
    await step('swap', `swapping deployment/${deployment}'s pods for the relay`, async () => {
      // another session that still runs keeps its relay unless the user says otherwise
      if (!opts.takeOver) {
        const {heldByDev, heldError} = await import('./guard.js')
        const held = await heldByDev(kube, namespace, [deployment], session)
        if (held.length > 0) throw heldError(held, 'fabk8s dev')
      }

      const {applyManifest, ensureNamespace} = await import('../kube/apply.js')
      const {readTlsFiles, renderManifests} = await import('../kube/manifests.js')
      const rendered = renderManifests(project, {
        image: project.image,
        namespace,
        packageId,
        tls: await readTlsFiles(project),
      })
      await ensureNamespace(kube, rendered[0])
      for (const m of rendered.filter((x) => x.kind === 'Secret' || x.kind === 'Service')) {
        const a = await applyManifest(kube, m)
        if (a.action === 'created')
          made.push({
            kind: m.kind as 'Secret' | 'Service',
            name: m.metadata.name,
            namespace: m.metadata.namespace ?? namespace,
          })
      }

      const {swapIn} = await import('./swap.js')
      plan = await swapIn(kube, project, {image: relayImage!, namespace, packageId, session})
      const {waitForRollout} = await import('../kube/rollout.js')
      await waitForRollout(kube, {
        image: relayImage!,
        name: deployment,
        namespace,
        packageId,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
      })
      const was = plan.leftBy
        ? `repaired what a session that did not exit cleanly left (${plan.leftBy})`
        : plan.applied
          ? `it ran ${(await import('./swap.js')).runsOf(plan.applied).image}`
          : 'there was no Deployment before'
      return {detail: `the relay runs in namespace ${namespace}; ${was}`, value: undefined}
    })

    aborted()
    const {tunnelPortFor} = await import('./relay/manifest.js')
    const tunnelPort = tunnelPortFor(project.chaincode.port)
    await step('tunnel', 'opening port-forward streams to the relay', async () => {
      const {openPortForward} = await import('./portforward.js')
      const {connectWithRetry, TunnelPool} = await import('./tunnel.js')
      let pod: string | undefined
      pool = new TunnelPool({
        connectLocal: () => connectWithRetry(localPort, {signal: opts.signal, waitMs: 30_000}),
        onPeer: (p) => out({...p, type: 'peer'}),
        onPeerClosed: (p) => out({...p, type: 'peer-closed'}),
        onStreamsOk: () => out({type: 'tunnel'}),
        onStreamTrouble(message) {
          pod = undefined
          out({message, type: 'tunnel'})
        },
        async open() {
          pod ??= await relayPod(kube, namespace, session)
          try {
            return await openPortForward({kc: kube.kc, namespace, pod, port: tunnelPort})
          } catch (error) {
            pod = undefined
            throw error
          }
        },
        size: opts.streams ?? 3,
      })
      pod = await relayPod(kube, namespace, session)
      pool.start()
      return {
        detail: `${opts.streams ?? 3} idle streams to pod ${pod} (port ${tunnelPort}, loopback only)`,
        value: undefined,
      }
    })

    const listening = await localReady
    if (project.network && listening) {
      await step('answers', 'asking the chaincode for its metadata through each org’s peer', async () => {
        const {callChaincodeFor} = await import('../fabric/call.js')
        const deadline = Date.now() + opts.timeoutMs
        // every org's peer, so each has its connection to the chaincode before the first invoke needs it
        const waiting = new Set(project.network!.orgs.map((o) => o.mspId))
        for (let attempt = 1; ; attempt++) {
          aborted()
          try {
            await Promise.all(
              [...waiting].map(async (org) => {
                await callChaincodeFor(project, {
                  args: [],
                  fn: 'org.hyperledger.fabric:GetMetadata',
                  org,
                  submit: false,
                })
                waiting.delete(org)
              }),
            )
            return {
              detail: `answered through the peers of ${project.network!.orgs.map((o) => o.mspId).join(', ')}${attempt > 1 ? ` (attempt ${attempt})` : ''}`,
              value: undefined,
            }
          } catch (error) {
            if (Date.now() > deadline) {
              // "start it with `fabk8s up`" would replace this session's relay: the local chaincode is what to check
              const {withReachNext} = await import('../fabric/errmap.js')
              const why = messageOf(withReachNext(error, 'is the local chaincode running? (its lines above)'))
              throw new FabError(
                'ROLLOUT',
                `the local chaincode did not answer through the peers within ${Math.round(opts.timeoutMs / 1000)}s: ${why}`,
                {
                  hint:
                    'the peers dial chaincode.address in fabk8s.yaml; it must reach the Service in namespace ' +
                    namespace,
                },
              )
            }

            await sleep(1000)
          }
        }
      })
    } else if (project.network) skip('answers', 'the local chaincode is not running yet')
    else skip('answers', 'no network in fabk8s.yaml')

    out({
      debug: runner.debugger(),
      local: `127.0.0.1:${localPort}`,
      relay: `deployment/${deployment} in namespace ${namespace}`,
      type: 'ready',
    })
    // until Ctrl-C, or until something else replaces the relay (`fabk8s up --take-over`, another dev, `fabk8s down`):
    // then the peers no longer reach this session, and it says so and stops
    const lost = await untilEnded(kube, {
      deployment,
      namespace,
      pollMs: opts.takeOverPollMs ?? 5000,
      session,
      signal: opts.signal,
    })
    await putBack()
    if (lost)
      throw new FabError(
        'IN_USE',
        `deployment/${deployment} no longer runs this session's relay: ${
          lost.by === undefined
            ? lost.exists
              ? 'fabk8s up or fabk8s deploy (--take-over) put the chaincode back'
              : 'it was deleted (fabk8s down?)'
            : `another fabk8s dev took it over (${lost.by})`
        }; the peers no longer reach this session, so fabk8s dev stopped`,
        {hint: 'run fabk8s dev again to take it back (fabk8s dev --take-over if that other session still runs)'},
      )
    return {
      debugPort,
      localPort,
      mode: 'local',
      namespace,
      packageId,
      peerConnections: counts.peers,
      relayImage,
      restarts: counts.restarts,
      restore,
      seconds: since(started),
    }
  } catch (error) {
    await putBack().catch((error_: unknown) => {
      out({detail: messageOf(error_), status: 'failed', step: 'restore', type: 'step'})
    })
    throw error
  }
}

/**
 * Wait for the signal (Ctrl-C), checking every pollMs that the Deployment still runs this session's relay; returns
 * who replaced it when something did, undefined after the signal.
 */
async function untilEnded(
  c: KubeClients,
  o: {deployment: string; namespace: string; pollMs: number; session: string; signal: AbortSignal},
): Promise<undefined | {by?: string; exists: boolean}> {
  const {deploymentPath, getRaw} = await import('./swap.js')
  const {ANNOTATION_DEV} = await import('./relay/manifest.js')
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined
    const end = (lost?: {by?: string; exists: boolean}) => {
      clearTimeout(timer)
      o.signal.removeEventListener('abort', onAbort)
      resolve(lost)
    }

    const onAbort = () => end()
    if (o.signal.aborted) {
      end()
      return
    }

    o.signal.addEventListener('abort', onAbort, {once: true})
    const check = async () => {
      try {
        const live = await getRaw(c, deploymentPath(o.namespace, o.deployment))
        const by = live?.metadata?.annotations?.[ANNOTATION_DEV]
        if (!o.signal.aborted && by !== o.session) {
          end({by, exists: live !== undefined})
          return
        }
      } catch {
        // the API server did not answer this time: ask again at the next tick (the tunnel says its own trouble)
      }

      if (!o.signal.aborted) timer = setTimeout(check, o.pollMs)
    }

    timer = setTimeout(check, o.pollMs)
  })
}

/** The Ready relay pod of this session (pods of an earlier session, or terminating ones, do not count). */
async function relayPod(c: KubeClients, namespace: string, session: string): Promise<string> {
  const {ANNOTATION_DEV, LABEL_RELAY} = await import('./relay/manifest.js')
  const list = await c.core.listNamespacedPod({labelSelector: `${LABEL_RELAY}=true`, namespace})
  const mine = list.items.find(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.metadata?.annotations?.[ANNOTATION_DEV] === session &&
      p.status?.phase === 'Running' &&
      p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
  )
  if (!mine?.metadata?.name) throw new Error(`no ready relay pod of this session in namespace ${namespace}`)
  return mine.metadata.name
}

async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({host: '127.0.0.1', port})
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}
