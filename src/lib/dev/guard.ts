/**
 * Is a `fabk8s dev` session still running in place of the chaincode's pods? `fabk8s up`, `fabk8s deploy` and another
 * `fabk8s dev` ask before they replace the relay: replacing it under a running session cuts the peers off from the
 * chaincode that session runs. The Deployment's annotation names the session (`user@host pid N since ISO`, see
 * session.ts sessionId): on the same host the process is asked (it may have been killed); a session on another host
 * cannot be asked, so it counts as running until the user says --take-over.
 */
import {readFileSync} from 'node:fs'
import os from 'node:os'

import type {KubeClients} from '../kube/client.js'

import {FabError} from '../errors.js'
import {ANNOTATION_DEV} from './relay/manifest.js'

/** running: its process answers here; elsewhere: on another host (cannot be asked); gone: it no longer runs. */
export type SessionState = 'elsewhere' | 'gone' | 'running'

/** When a process started (ms since the epoch), from /proc (Linux); undefined where there is none. */
function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the fields after the command name (which may hold spaces and parentheses); starttime is field 22
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return undefined
    // USER_HZ is 100 on every Linux architecture Node runs on
    return btime * 1000 + ticks * 10
  } catch {
    return undefined
  }
}

/** Whether the session an annotation names still runs. */
export function sessionState(session: string, host = os.hostname()): SessionState {
  const m = /^.+@(\S+) pid (\d+) since (\S+)$/.exec(session)
  if (!m || m[1] !== host) return 'elsewhere'
  const pid = Number(m[2])
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'gone'
  }

  // a pid used again by a process that started after the session did is not the session
  const started = processStart(pid)
  const since = Date.parse(m[3])
  if (started !== undefined && Number.isFinite(since) && started > since + 2000) return 'gone'
  return 'running'
}

export interface HeldDeployment {
  name: string
  session: string
  state: Exclude<SessionState, 'gone'>
}

/**
 * The Deployment, or undefined when there is none: through the typed client, so that the request has the command's
 * deadline (--timeout, FABK8S_REQUEST_TIMEOUT) and a server that is not Kubernetes is said to be one.
 */
async function readDeployment(
  c: KubeClients,
  namespace: string,
  name: string,
): Promise<Awaited<ReturnType<KubeClients['apps']['readNamespacedDeployment']>> | undefined> {
  const {isNotFound, kubeError} = await import('../kube/client.js')
  try {
    return await c.apps.readNamespacedDeployment({name, namespace})
  } catch (error) {
    if (isNotFound(error)) return
    throw kubeError(error, `read Deployment ${namespace}/${name}`, c.target)
  }
}

/** The Deployments among `names` whose relay belongs to a dev session that may still run (other than `self`). */
export async function heldByDev(
  c: KubeClients,
  namespace: string,
  names: string[],
  self?: string,
): Promise<HeldDeployment[]> {
  const held = await Promise.all(
    names.map(async (name): Promise<HeldDeployment | undefined> => {
      const session = (await readDeployment(c, namespace, name))?.metadata?.annotations?.[ANNOTATION_DEV]
      if (!session || session === self) return undefined
      const state = sessionState(session)
      return state === 'gone' ? undefined : {name, session, state}
    }),
  )
  return held.filter((h): h is HeldDeployment => h !== undefined)
}

/**
 * `fabk8s up` (or deploy, or dev) would replace a running dev session's relay, or `fabk8s down` delete it: exit 11,
 * saying how to go on.
 */
export function heldError(held: HeldDeployment[], command: string, verb: 'delete' | 'replace' = 'replace'): FabError {
  const [h] = held
  const whose =
    h.state === 'running'
      ? `a \`fabk8s dev\` session that is still running (${h.session})`
      : `a \`fabk8s dev\` session on another machine, which may still run (${h.session})`
  return new FabError('IN_USE', `deployment/${h.name} runs the relay of ${whose}: ${command} would ${verb} it`, {
    detail: {deployments: held},
    hint: `end that session with Ctrl-C in its terminal (it puts the chaincode back), or pass --take-over to ${verb} the relay now (that session then stops)`,
  })
}
