import {Command, Help} from '@oclif/core'

import {EXIT_CODES_HELP} from './lib/errors.js'

/** oclif's help, plus the exit-code table at the end of every page. */
export default class FabHelp extends Help {
  override formatCommand(command: Command.Loadable): string {
    return `${super.formatCommand(command)}\n\n${this.exitCodes()}`
  }

  override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(this.exitCodes())
  }

  private exitCodes(): string {
    return this.section('EXIT CODES', EXIT_CODES_HELP.replaceAll(/^ {2}/gm, ''))
  }
}
