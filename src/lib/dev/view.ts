/**
 * `fabk8s dev` events as lines for people: what the watch is doing, each restart with its times, each peer
 * connection, the chaincode's own log lines, build errors with file and line. Pure (colours are passed in), so the
 * wording is tested without a terminal.
 */
import type {ClusterEvent} from './cluster.js'
import type {BuildError, DevEvent} from './events.js'

export interface Paint {
  bad: (s: string) => string
  dim: (s: string) => string
  good: (s: string) => string
  info: (s: string) => string
  warn: (s: string) => string
}

export const plain: Paint = {bad: (s) => s, dim: (s) => s, good: (s) => s, info: (s) => s, warn: (s) => s}

const STEP_TITLES: Record<string, string> = {
  answers: 'Chaincode answers',
  local: 'Local chaincode',
  package: 'Package',
  register: 'Register with Fabric',
  'relay-image': 'Relay image',
  restore: 'Restore',
  swap: 'Swap in the relay',
  tunnel: 'Tunnel',
}

export function stepTitle(step: string): string {
  return STEP_TITLES[step] ?? step
}

export function formatBuildError(e: BuildError): string {
  return `${e.file}:${e.line}${e.column ? `:${e.column}` : ''} ${e.message}`
}

const secs = (n: number) => `${n.toFixed(2)}s`

/** One event → the lines to print (none for events shown otherwise, e.g. a step start under listr). */
export function formatEvent(e: ClusterEvent | DevEvent, p: Paint = plain): string[] {
  switch (e.type) {
    case 'build-failed': {
      const head = p.bad(`build failed after ${secs(e.seconds)}; the previous chaincode keeps running:`)
      if (e.errors.length === 0)
        return [
          head,
          ...e.output
            .split('\n')
            .slice(-20)
            .map((l) => `  ${l}`),
        ]
      return [head, ...e.errors.map((x) => `  ${p.bad('✖')} ${formatBuildError(x)}`)]
    }

    case 'change': {
      return [p.dim(e.files.length > 0 ? `changed: ${e.files.join(', ')}` : 'changed')]
    }

    case 'debugger': {
      const what = {delve: 'Delve (dlv)', jdwp: 'JDWP', node: 'Node inspector'}[e.kind]
      return [p.info(`debugger: ${what} on 127.0.0.1:${e.port}${e.url ? ` (${e.url})` : ''}`)]
    }

    case 'exited': {
      return [
        p.bad(
          `the chaincode exited (${e.signal ? `signal ${e.signal}` : `code ${e.code}`}); save a change to start it again`,
        ),
      ]
    }

    case 'iteration': {
      const steps = e.steps.map((s) => `${s.step} ${s.action === 'changed' ? secs(s.seconds) : s.action}`).join(', ')
      return [
        p.good(`iteration ${e.iteration} done in ${secs(e.seconds)}${e.image ? `: ${e.image}` : ''}`),
        `  ${steps}`,
      ]
    }

    case 'iteration-failed': {
      return [
        p.bad(`iteration ${e.iteration} failed after ${secs(e.seconds)}: ${e.error}`),
        ...e.errors.map((x) => `  ${p.bad('✖')} ${formatBuildError(x)}`),
      ]
    }

    case 'iteration-start': {
      return [p.dim(`iteration ${e.iteration}: build → load → roll out`)]
    }

    case 'log': {
      return [`${p.dim('chaincode |')} ${e.line}`]
    }

    case 'note': {
      return [p.warn(`note: ${e.message}`)]
    }

    case 'peer': {
      return [p.info(`peer connection ${e.id} from ${e.peer}`)]
    }

    case 'peer-closed': {
      const how = e.reason === 'closed' ? 'closed' : `reset (${e.reason})`
      return [p.dim(`peer connection ${e.id} ${how} after ${e.seconds}s`)]
    }

    case 'ready': {
      return [
        p.good(`ready: peers reach the local chaincode (${e.local}) through ${e.relay}`),
        ...(e.debug ? [p.info(`debugger: attach to 127.0.0.1:${e.debug.port} (${e.debug.kind})`)] : []),
        p.dim('watching for changes; Ctrl-C stops and puts the Deployment back'),
      ]
    }

    case 'restarted': {
      return [
        p.good(
          `${e.first ? 'started' : 'restarted'} in ${secs(e.seconds)} (build ${secs(e.buildSeconds)}, start ${secs(e.startSeconds)}), pid ${e.pid}`,
        ),
      ]
    }

    case 'state': {
      return []
    }

    case 'step': {
      const title = stepTitle(e.step)
      if (e.status === 'start') return [p.dim(`${title}: ${e.detail}…`)]
      const time = e.seconds === undefined ? '' : p.dim(` (${secs(e.seconds)})`)
      if (e.status === 'failed') return [p.bad(`${title}: failed: ${e.detail}`) + time]
      if (e.status === 'skipped') return [p.dim(`${title}: skipped: ${e.detail}`)]
      return [`${p.good('✔')} ${title}: ${e.detail}${time}`]
    }

    case 'tunnel': {
      return [e.message ? p.warn(`tunnel: ${e.message}; retrying`) : p.good('tunnel: streams open again')]
    }
  }
}
