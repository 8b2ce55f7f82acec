import type {StatusResult} from '../../lib/fabric/status.js'

import {BaseCommand} from '../../base-command.js'
import {definitionFlags, overridesFrom} from '../../flags/definition.js'

export default class LifecycleStatus extends BaseCommand<typeof LifecycleStatus> {
  static override description = `Show the chaincode on the channel: committed definition, approvals per org, installed packages per peer.

It also says what \`fabk8s register\` would do next: installs, approvals (at the planned sequence), commit.`
  static override examples = ['<%= config.bin %> lifecycle status', '<%= config.bin %> lifecycle status --json']
  static override flags = {...definitionFlags}

  protected async execute(): Promise<StatusResult> {
    const project = await this.project()
    const {lifecycleStatus} = await import('../../lib/fabric/status.js')
    const {buildPackage} = await import('../../lib/fabric/package.js')
    const {packageId} = await buildPackage(project)
    const r = await lifecycleStatus(project, packageId, overridesFrom(this.flags))
    if (this.jsonEnabled()) return r
    const {c} = await import('../../lib/ui/colors.js')
    const yes = (b: boolean) => (b ? c.good('yes') : c.warn('no'))
    this.say(`${c.strong(r.name)} on ${r.channel}`)
    if (r.committed) {
      const d = r.committed
      this.say(
        `committed   sequence ${d.sequence}, version ${d.version}, policy ${d.endorsementPolicy}, initRequired ${d.initRequired}`,
      )
      this.say(
        `approvals   ${Object.entries(r.approvals)
          .map(([k, v]) => `${k} ${yes(v)}`)
          .join(', ')}`,
      )
    } else this.say(`committed   ${c.warn('not committed')}`)
    this.say(`package     ${r.packageId}`)
    for (const o of r.orgs)
      this.say(
        `${o.mspId.padEnd(12)}approved at ${r.plan.sequence}: ${o.approved ? `${o.approved.packageId || '(no package)'}` : c.warn('none')} ${o.upToDate ? c.good('(up to date)') : c.warn('(needs approval)')}`,
      )
    const ours = new Set(r.orgs.map((o) => o.mspId))
    if (r.channelApprovals)
      this.say(
        `channel     approved sequence ${r.plan.sequence}: ${Object.entries(r.channelApprovals)
          .map(([k, v]) => `${k} ${yes(v)}${ours.has(k) ? '' : ' (not in fabk8s.yaml)'}`)
          .join(', ')}`,
      )
    for (const p of r.peers)
      this.say(`${p.address.padEnd(22)}${p.mspId}: ${p.packageIds.length} installed, this package ${yes(p.hasPackage)}`)
    // what register would do: an up-to-date committed definition can still leave approvals and installs to do
    const lacking = r.peers.filter((p) => !p.hasPackage).map((p) => p.address)
    const unapproved = r.orgs.filter((o) => !o.upToDate).map((o) => o.mspId)
    const todo = [
      ...(lacking.length > 0 ? [`install on ${lacking.join(', ')}`] : []),
      ...(unapproved.length > 0 ? [`approve for ${unapproved.join(', ')} at sequence ${r.plan.sequence}`] : []),
      ...(r.plan.commit ? [`commit sequence ${r.plan.sequence}`] : []),
    ]
    this.say(c.dim(`next: ${r.plan.reason} → ${todo.length > 0 ? todo.join('; ') : 'nothing to do'}`))
    return r
  }
}
