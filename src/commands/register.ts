import {Flags} from '@oclif/core'

import type {RegisterResult} from '../lib/fabric/register.js'

import {BaseCommand} from '../base-command.js'
import {definitionFlags, overridesFrom} from '../flags/definition.js'
import {timelineLines} from '../lib/timeline.js'

export default class Register extends BaseCommand<typeof Register> {
  static override description = `Package, install, approve and commit the chaincode for every org in fabk8s.yaml network.

One run does it all: installs on every peer overlap with the approvals (which need only the package ID), then the
definition is committed. It is idempotent and resumable: what is already in place is left alone, and a second run
says there was nothing to do. The sequence is automatic (see \`fabk8s lifecycle approve --help\`).`
  static override examples = [
    '<%= config.bin %> register',
    `<%= config.bin %> register --signature-policy "OR('Org1MSP.peer','Org2MSP.peer')"`,
    '<%= config.bin %> register --json',
  ]
  static override flags = {
    ...definitionFlags,
    label: Flags.string({description: 'package label (default: fabk8s.yaml label)'}),
    package: Flags.string({description: 'use this package file instead of building it from fabk8s.yaml'}),
    verbose: Flags.boolean({
      default: false,
      description: 'keep every progress line, and show where the time went (ms since the process started)',
    }),
  }
  static override interruptNote = 'nothing was sent yet; run `fabk8s register` again'

  protected async execute(): Promise<RegisterResult> {
    const project = await this.project()
    const {registerTasks} = await import('../lib/fabric/register.js')
    const {resolvePackage} = await import('../lib/fabric/package-file.js')
    // the connections start while the package is built (registerTasks awaits it in its first step)
    const pkg = resolvePackage(project, {file: this.flags.package, label: this.flags.label})
    pkg.catch(() => {})
    const r = await this.runTasks(
      registerTasks(project, pkg, overridesFrom(this.flags), {verbose: this.flags.verbose}),
      {verbose: this.flags.verbose},
    )
    if (r.changed)
      this.say(
        `registered ${r.name} sequence ${r.sequence}: installed on ${r.installedOn.length}, approved by ${r.approved.join(', ') || 'none'}, ${r.committed ? 'committed' : 'commit not needed'}`,
      )
    else this.say(`nothing to do: ${r.name} is installed, approved and committed (sequence ${r.sequence})`)
    this.say(`package ID ${r.packageId}`)
    if (r.timings)
      this.note(['where the time went (ms since the process started):', ...timelineLines(r.timings)].join('\n'))
    return r
  }
}
