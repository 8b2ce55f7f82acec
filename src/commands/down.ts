import type {ManagedResource} from '../lib/kube/down.js'

import {BaseCommand, kubeFlags} from '../base-command.js'
import {FabError} from '../lib/errors.js'

export interface DownResult {
  deleted: ManagedResource[]
  namespace: string
}

export default class Down extends BaseCommand<typeof Down> {
  static override description = `Delete what fabk8s deploy made for the chaincode (Deployment, Service, TLS Secret).

Finds the objects by their labels (app.kubernetes.io/managed-by=fabk8s, fabk8s.io/chaincode=<name>) and asks before deleting unless --yes. The namespace is left in place.`
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --yes --json']
  static override flags = {...kubeFlags}

  protected async execute(): Promise<DownResult> {
    const project = await this.project()
    const namespace = this.flags.namespace ?? project.kubernetes.namespace
    const {connect} = await import('../lib/kube/client.js')
    const {deleteManaged, listManaged} = await import('../lib/kube/down.js')
    const c = await connect({context: this.flags.context, kubeconfig: this.flags.kubeconfig, namespace, project})
    const found = await listManaged(c, namespace, project.name)
    if (found.length === 0) {
      this.say(
        `nothing to delete: no objects of chaincode ${project.name} (managed by fabk8s) in namespace ${namespace}`,
      )
      return {deleted: [], namespace}
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
      const ok = await prompter().confirm(
        `Delete ${list} in namespace ${namespace} (context ${c.target.context})?`,
        false,
      )
      if (!ok) throw new FabError('ABORTED', 'nothing deleted: declined at the confirmation prompt')
    }

    const deleted = await deleteManaged(c, found)
    this.say(`deleted ${list} in namespace ${namespace}`)
    return {deleted, namespace}
  }
}
