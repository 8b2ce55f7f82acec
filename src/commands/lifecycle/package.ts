import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'

export interface PackageResult {
  file: string
  label: string
  packageId: string
}

export default class LifecyclePackage extends BaseCommand<typeof LifecyclePackage> {
  static override description = `Write the chaincode-as-a-service package <label>.tar.gz and print its package ID.

The package is deterministic: the same fabk8s.yaml (and TLS files) gives the same bytes, so the same package ID, on
every run and machine. It equals what \`peer lifecycle chaincode calculatepackageid\` prints.`
  static override examples = [
    '<%= config.bin %> lifecycle package',
    '<%= config.bin %> lifecycle package -o dist --json',
  ]
  static override flags = {
    label: Flags.string({description: 'package label (default: fabk8s.yaml label, else <name>_<version>)'}),
    output: Flags.string({char: 'o', default: '.', description: 'folder to write the package into'}),
  }

  protected async execute(): Promise<PackageResult> {
    const project = await this.project()
    const {writePackage} = await import('../../lib/fabric/package-file.js')
    const r = await writePackage(project, {label: this.flags.label, outDir: this.flags.output})
    for (const w of r.warnings) this.note(`Warning: ${w}`)
    this.say(`wrote ${r.file}`)
    this.say(`package ID ${r.packageId}`)
    return {file: r.file, label: r.label, packageId: r.packageId}
  }
}
