/**
 * A stand-in for cluster DNS on the test bed, whose Fabric peers run on the host: the bed has no CoreDNS and
 * `*.svc.cluster.local` does not resolve on the host (shared/KUBE-NODE-NOTES.md), but the host reaches ClusterIPs
 * through kube-proxy. While a test runs, this writes `<ClusterIP> <service>.<namespace>.svc.cluster.local` lines
 * for the Services of one namespace into /etc/hosts (the peers' resolver reads it first), each line tagged with a
 * comment naming the namespace, and removes exactly those lines at the end. The file is rewritten in place, never
 * replaced: it is often a bind mount.
 */
import type {CoreV1Api} from '@kubernetes/client-node'
import type {Context} from 'mocha'

import {accessSync, constants, readFileSync, writeFileSync} from 'node:fs'

export const HOSTS_FILE = '/etc/hosts'

/** Why this machine cannot have the stand-in, or undefined when it can. */
export function clusterDnsUnavailable(file = HOSTS_FILE): string | undefined {
  try {
    accessSync(file, constants.W_OK)
    return undefined
  } catch (error) {
    return `${file} is not writable (${(error as NodeJS.ErrnoException).code}): the bed's peers resolve Service names through it`
  }
}

/** In a mocha hook: print why this machine cannot have the stand-in, and skip. */
export function clusterDnsOrSkip(ctx: Context): void {
  const why = clusterDnsUnavailable()
  if (why) {
    console.log(`      skipped: ${why}`)
    ctx.skip()
  }
}

export class ClusterDns {
  /** The names written so far, with their addresses. */
  readonly entries = new Map<string, string>()
  private stopped = false
  private timer?: NodeJS.Timeout

  constructor(
    private readonly core: CoreV1Api,
    private readonly namespace: string,
    private readonly file = HOSTS_FILE,
  ) {}

  private get tag(): string {
    return `# fabk8s-test ${this.namespace}`
  }

  /** Remove this namespace's lines (and stop watching). */
  clear(): void {
    this.stop()
    const lines = readFileSync(this.file, 'utf8').split('\n')
    const kept = lines.filter((l) => !l.endsWith(this.tag))
    if (kept.length !== lines.length) writeFileSync(this.file, kept.join('\n'))
    this.entries.clear()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
  }

  /** Add a line for every Service of the namespace with a ClusterIP not written yet. */
  async sync(): Promise<void> {
    const list = await this.core.listNamespacedService({namespace: this.namespace})
    const add: string[] = []
    for (const s of list.items) {
      const ip = s.spec?.clusterIP
      const name = `${s.metadata?.name}.${this.namespace}.svc.cluster.local`
      if (!ip || ip === 'None' || this.entries.get(name) === ip) continue
      this.entries.set(name, ip)
      add.push(`${ip} ${name} ${this.tag}`)
    }

    if (add.length === 0) return
    const text = readFileSync(this.file, 'utf8')
    writeFileSync(this.file, `${text}${text.endsWith('\n') ? '' : '\n'}${add.join('\n')}\n`)
  }

  /** Keep the lines in step with the namespace's Services until stop(). */
  watch(everyMs = 500): void {
    const tick = async () => {
      try {
        await this.sync()
      } catch {
        // the namespace may not exist yet; the next tick looks again
      }

      if (!this.stopped) this.timer = setTimeout(tick, everyMs)
    }

    tick().catch(() => {})
  }
}
