import {Flags} from '@oclif/core'

import type {ApproveAllResult} from '../../lib/fabric/approve.js'

import {BaseCommand} from '../../base-command.js'
import {definitionFlags, overridesFrom} from '../../flags/definition.js'
import {checkPackageIdFlag} from '../../flags/package-id.js'
import {sequenceFlag} from '../../flags/sequence.js'

export default class LifecycleApprove extends BaseCommand<typeof LifecycleApprove> {
  static override description = `Approve the chaincode definition for each org of fabk8s.yaml network (through each org's own peer).

The sequence is automatic: 1 when nothing is committed, the committed sequence when only the package changed, the
committed sequence + 1 when the definition changed. Orgs whose approval already matches are skipped. Waits until the
transaction is committed and shows its validation code.`
  static override examples = [
    '<%= config.bin %> lifecycle approve',
    `<%= config.bin %> lifecycle approve --org Org2MSP --signature-policy "AND('Org1MSP.peer','Org2MSP.peer')"`,
  ]
  static override flags = {
    ...definitionFlags,
    label: Flags.string({description: 'package label (default: fabk8s.yaml label)'}),
    org: Flags.string({description: 'approve only for this MSP ID (repeatable)', multiple: true}),
    package: Flags.string({description: 'approve the package ID of this package file'}),
    'package-id': Flags.string({
      description: 'approve this package ID (default: the package fabk8s.yaml builds)',
      exclusive: ['package'],
    }),
    sequence: sequenceFlag('approve at this sequence instead of the planned one'),
  }
  static override interruptNote =
    "approvals already sent may still commit; `fabk8s lifecycle status` shows each org's approval"

  protected async execute(): Promise<ApproveAllResult> {
    await checkPackageIdFlag(this.flags['package-id'])
    const project = await this.project()
    const {approveAll} = await import('../../lib/fabric/approve.js')
    const {resolvePackage} = await import('../../lib/fabric/package-file.js')
    const packageId =
      this.flags['package-id'] ??
      (await resolvePackage(project, {file: this.flags.package, label: this.flags.label})).packageId
    const r = await approveAll(project, packageId, {
      ...overridesFrom(this.flags),
      orgs: this.flags.org,
      sequence: this.flags.sequence,
    })
    this.say(`sequence ${r.plan.sequence}: ${r.plan.reason}`)
    for (const o of r.orgs)
      this.say(`${o.mspId}: ${o.approved ? `approved (${o.validation}, tx ${o.txId})` : 'already approved'}`)
    return r
  }
}
