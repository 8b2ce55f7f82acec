import {Flags} from '@oclif/core'

import type {InstallAllResult} from '../../lib/fabric/install.js'

import {BaseCommand} from '../../base-command.js'

export default class LifecycleInstall extends BaseCommand<typeof LifecycleInstall> {
  static override description = `Install the chaincode package on every peer of every org in fabk8s.yaml network, in parallel.

Each peer is called with its own org's admin identity (mspPath). A package that is already installed counts as done.`
  static override examples = [
    '<%= config.bin %> lifecycle install',
    '<%= config.bin %> lifecycle install --org Org1MSP --json',
  ]
  static override flags = {
    label: Flags.string({description: 'package label (default: fabk8s.yaml label)'}),
    org: Flags.string({description: 'only the peers of this MSP ID (repeatable)', multiple: true}),
    package: Flags.string({description: 'install this package file instead of building it from fabk8s.yaml'}),
    peer: Flags.string({description: 'only this peer address (repeatable)', multiple: true}),
  }
  static override interruptNote =
    'installs already sent may still complete; `fabk8s lifecycle status` shows what each peer holds'

  protected async execute(): Promise<InstallAllResult> {
    const project = await this.project()
    const {installAll} = await import('../../lib/fabric/install.js')
    const {resolvePackage} = await import('../../lib/fabric/package-file.js')
    const pkg = await resolvePackage(project, {file: this.flags.package, label: this.flags.label})
    const r = await installAll(project, pkg, {orgs: this.flags.org, peers: this.flags.peer})
    for (const p of r.peers) this.say(`${p.mspId} ${p.address}: ${p.installed ? 'installed' : 'already installed'}`)
    this.say(`package ID ${r.packageId}`)
    return r
  }
}
