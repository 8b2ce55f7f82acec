import {Command, Help} from '@oclif/core'

import {EXIT_CODES_HELP} from './lib/errors.js'

/** oclif's help, plus the exit-code table on every page. */
export default class FabHelp extends Help {
  override formatCommand(command: Command.Loadable): string {
    return `${super.formatCommand(command)}\n\n${this.section('EXIT CODES', EXIT_CODES_HELP.replaceAll(/^ {2}/gm, ''))}`
  }

  override formatRoot(): string {
    return `${super.formatRoot()}\n\n${this.section('EXIT CODES', EXIT_CODES_HELP.replaceAll(/^ {2}/gm, ''))}`
  }
}
