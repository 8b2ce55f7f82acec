import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {usageError} from '../../lib/errors.js'

export interface PackageResult {
  /** The package file written, absolute: -o itself when it names a file, else <folder>/<label>.tar.gz. */
  file: string
  label: string
  packageId: string
}

export default class LifecyclePackage extends BaseCommand<typeof LifecyclePackage> {
  static override description = `Write the chaincode-as-a-service package and print its package ID.

-o names the package file when it ends in .tar.gz or .tgz (any case), as \`peer lifecycle chaincode package FILE\`
takes it; anything else is the folder for <label>.tar.gz (default: the current folder), and so is a folder that
already has a .tgz name. A missing folder is made. The file is written whole or not at all (a temp file beside it,
then a rename), and \`lifecycle install --package FILE\` takes it.

The package is deterministic: the same fabk8s.yaml (and TLS files) gives the same bytes, so the same package ID, on
every run and machine, whatever the file is called. It equals what \`peer lifecycle chaincode calculatepackageid\`
prints.`
  static override examples = [
    '<%= config.bin %> lifecycle package',
    '<%= config.bin %> lifecycle package -o mycc.tgz',
    '<%= config.bin %> lifecycle package -o dist --json',
  ]
  static override flags = {
    label: Flags.string({description: 'package label (default: fabk8s.yaml label, else <name>_<version>)'}),
    output: Flags.string({
      char: 'o',
      default: '.',
      description: 'the package file when it ends in .tar.gz or .tgz, else the folder for <label>.tar.gz',
    }),
  }

  protected async execute(): Promise<PackageResult> {
    // an empty value (often an unset variable: -o "$OUT") would write into the current folder without a word
    if (this.flags.output.trim() === '')
      throw usageError(
        '-o/--output: empty value',
        'give a folder or a .tar.gz file, or leave -o out for the current folder',
      )
    const project = await this.project()
    const {writePackage} = await import('../../lib/fabric/package-file.js')
    const r = await writePackage(project, {label: this.flags.label, output: this.flags.output})
    for (const w of r.warnings) this.note(`Warning: ${w}`)
    this.say(`wrote ${r.file}`)
    this.say(`package ID ${r.packageId}`)
    return {file: r.file, label: r.label, packageId: r.packageId}
  }
}
