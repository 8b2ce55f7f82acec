import {Args, Command, Flags, loadHelpClass} from '@oclif/core'

/**
 * `fabk8s help [COMMAND]`: the pages `--help` shows. A command of ours rather than the @oclif/plugin-help plugin:
 * finding and loading a plugin cost every start of every command ≈ 15 ms.
 */
export default class HelpCommand extends Command {
  static override args = {
    command: Args.string({description: 'the command to show help for', required: false}),
  }
  static override description = 'Display help for <%= config.bin %>.'
  static override flags = {
    'nested-commands': Flags.boolean({char: 'n', description: 'include all nested commands in the output'}),
  }
  static override strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(HelpCommand)
    const Help = await loadHelpClass(this.config)
    await new Help(this.config, {all: flags['nested-commands']}).showHelp(argv as string[])
  }
}
