import {Flags} from '@oclif/core'

import type {ManagedResource} from '../lib/kube/down.js'

import {BaseCommand, kubeFlags} from '../base-command.js'
import {duration} from '../flags/duration.js'
import {FabError} from '../lib/errors.js'

export interface DownResult {
  /** The kube context the objects were deleted from. */
  context: string
  deleted: ManagedResource[]
  namespace: string
  /** Whether the chaincode's pods had stopped when down returned (false under --no-wait). */
  stopped: boolean
}

export default class Down extends BaseCommand<typeof Down> {
  static override description = `Delete what fabk8s deploy made for the chaincode (Deployment, Service, TLS Secret).

Finds the objects by their labels (app.kubernetes.io/managed-by=fabk8s, fabk8s.io/chaincode=<name>) and asks before deleting unless --yes. The namespace is left in place.

Then waits until the chaincode's pods have stopped: a pod being deleted runs on through its grace period, and the peers' open connections still reach it until then. Pods still there after --timeout: exit 8, naming them (what was deleted stays deleted).`
  static override examples = [
    '<%= config.bin %> down',
    '<%= config.bin %> down --yes --json',
    '<%= config.bin %> down --yes --no-wait',
  ]
  static override flags = {
    ...kubeFlags,
    'take-over': Flags.boolean({
      default: false,
      description:
        'delete the relay of a `fabk8s dev` session that is still running too (else exit 11); that session then stops',
    }),
    timeout: duration('1m', {description: "how long to wait for the chaincode's pods to stop (90s, 5m, or seconds)"}),
    wait: Flags.boolean({
      allowNo: true,
      default: true,
      description: "wait until the chaincode's pods have stopped (--no-wait: return once the objects are deleted)",
    }),
  }

  protected async execute(): Promise<DownResult> {
    const project = await this.project()
    const namespace = this.flags.namespace ?? project.kubernetes.namespace
    const {connect} = await import('../lib/kube/client.js')
    const {deleteManaged, listManaged, waitPodsGone} = await import('../lib/kube/down.js')
    const c = await connect({context: this.flags.context, kubeconfig: this.flags.kubeconfig, namespace, project})
    const context = c.kc.currentContext
    await this.noteKubeContext(c)
    const found = await listManaged(c, namespace, project.name)
    if (found.length === 0) {
      this.say(
        `nothing to delete: no objects of chaincode ${project.name} (managed by fabk8s) in namespace ${namespace} (context ${context})`,
      )
      return {context, deleted: [], namespace, stopped: true}
    }

    // a running `fabk8s dev` session's relay stands in for the pods: deleting it cuts the peers off from that session
    if (!this.flags['take-over']) {
      const {heldByDev, heldError} = await import('../lib/dev/guard.js')
      const names = found.filter((r) => r.kind === 'Deployment').map((r) => r.name)
      const held = await heldByDev(c, namespace, names)
      if (held.length > 0) throw heldError(held, 'fabk8s down', 'delete')
    }

    const list = found.map((r) => `${r.kind.toLowerCase()}/${r.name}`).join(', ')
    if (!this.flags.yes) {
      const {isInteractive} = await import('../lib/ui/interactive.js')
      if (!isInteractive({json: this.jsonEnabled()}))
        throw new FabError(
          'USAGE',
          `refusing to delete ${list} in namespace ${namespace} without confirmation: pass --yes`,
          {
            hint: 'no terminal to ask at (CI, a pipe, or --json); --yes confirms',
          },
        )
      const {prompter} = await import('../lib/ui/prompts.js')
      const ok = await prompter().confirm(`Delete ${list} in namespace ${namespace} (context ${context})?`, false)
      if (!ok) throw new FabError('ABORTED', 'nothing deleted: declined at the confirmation prompt')
    }

    const deleted = await deleteManaged(c, found)
    this.say(`deleted ${list} in namespace ${namespace} (context ${context})`)
    if (!this.flags.wait) return {context, deleted, namespace, stopped: false}
    const signal = this.interruptSignal()
    const started = Date.now()
    const left = await waitPodsGone(c, namespace, project.name, {signal, timeoutMs: this.flags.timeout})
    const pods = left.map((p) => `pod/${p}`).join(', ')
    if (signal.aborted)
      throw new FabError('ABORTED', `deleted ${list}; interrupted while waiting for ${pods || 'the pods'} to stop`)
    if (left.length > 0)
      throw new FabError(
        'ROLLOUT',
        `deleted ${list} in namespace ${namespace}, but ${pods} did not stop within ${Math.round(this.flags.timeout / 1000)}s`,
        {
          detail: {deleted, pods: left},
          hint: `the peers may still reach them; see \`kubectl -n ${namespace} describe pod/${left[0]}\`, or wait longer with --timeout`,
        },
      )
    this.say(`the chaincode's pods have stopped (${((Date.now() - started) / 1000).toFixed(1)}s)`)
    return {context, deleted, namespace, stopped: true}
  }
}
