/**
 * oclif's init hook: `fabk8s lifecycle --json` names a topic, not a command. oclif would show the topic's help (exit
 * 0), which a script that asked for JSON cannot read; under --json it is our usage error instead, exit 2, as
 * `{"error": …}` on stdout like an unknown command (command-not-found.ts), with the topic's commands in its detail.
 * Without --json, or with --help, oclif shows the help as before. Costs other runs one look at their arguments.
 */
import {Errors, type Hook} from '@oclif/core'

import {FabError} from '../lib/errors.js'

const hook: Hook<'init'> = async function (opts) {
  const {id} = opts
  const end = opts.argv.indexOf('--')
  const flags = end === -1 ? opts.argv : opts.argv.slice(0, end)
  if (!id || !flags.includes('--json') || flags.includes('--help') || flags.includes('-h')) return
  const {config} = opts
  if (config.findCommand(id) || !config.findTopic(id)) return
  const {bin} = config
  const topic = id.replaceAll(':', ' ')
  const commands = config.commands
    .filter((c) => c.id.startsWith(`${id}:`) && !c.hidden)
    .map((c) => ({
      command: `${bin} ${c.id.replaceAll(':', ' ')}`,
      description: (c.summary ?? c.description ?? '').split('\n')[0],
    }))
    .sort((a, b) => a.command.localeCompare(b.command))
  const error = new FabError(
    'USAGE',
    `${bin} ${topic} is a group of commands, not a command: name one (${commands
      .map((c) => c.command.slice(bin.length + topic.length + 2))
      .join(', ')})`,
    {detail: {commands}, hint: `see ${bin} ${topic} --help`},
  )
  const {reportError} = await import('../render/errors.js')
  await reportError(error, {json: true})
  throw new Errors.ExitError(error.exitCode)
}

export default hook
