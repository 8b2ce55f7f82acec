import type {CommitResult} from '../../lib/fabric/commit.js'

import {BaseCommand} from '../../base-command.js'
import {definitionFlags, overridesFrom} from '../../flags/definition.js'
import {sequenceFlag} from '../../flags/sequence.js'

export default class LifecycleCommit extends BaseCommand<typeof LifecycleCommit> {
  static override description = `Commit the chaincode definition on the channel, endorsed by the peers of every org that approved it.

Nothing is sent when the committed definition already matches. When the commit cannot succeed, the approvals of
each org (checkcommitreadiness) are shown.`
  static override examples = ['<%= config.bin %> lifecycle commit', '<%= config.bin %> lifecycle commit --json']
  static override flags = {
    ...definitionFlags,
    sequence: sequenceFlag('commit this sequence instead of the planned one'),
  }
  static override interruptNote =
    'a commit already sent may still be committed; `fabk8s lifecycle status` shows the committed definition'

  protected async execute(): Promise<CommitResult> {
    const project = await this.project()
    const {commitDefinition} = await import('../../lib/fabric/commit.js')
    const r = await commitDefinition(project, {...overridesFrom(this.flags), sequence: this.flags.sequence})
    if (r.committed) this.say(`committed ${project.name} sequence ${r.sequence} (${r.validation}, tx ${r.txId})`)
    else this.say(`nothing to commit: ${r.reason}`)
    this.say(
      `approvals: ${
        Object.entries(r.approvals)
          .map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`)
          .join(', ') || '(none)'
      }`,
    )
    return r
  }
}
