/**
 * oclif's command_not_found hook: `fabk8s nope` and `fabk8s status extra` (oclif reads an extra argument as part
 * of a command id) become our usage error, exit 2, as `{"error": …}` on stdout under --json like every other
 * error; without --json, `Error: …` and a hint on stderr.
 */
import {Errors, type Hook} from '@oclif/core'

import {FabError} from '../lib/errors.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  const words = opts.id.split(':')
  const argv = opts.argv ?? []
  // `fabk8s --json`: oclif takes the flag for the command's name
  const json =
    opts.id === '--json' || (argv.includes('--json') && !argv.slice(0, argv.indexOf('--json')).includes('--'))
  const {bin} = opts.config
  if (opts.id.startsWith('-')) {
    const error = new FabError('USAGE', `no command given before ${opts.id}`, {hint: `see ${bin} --help for the commands`})
    const {reportError} = await import('../render/errors.js')
    await reportError(error, {json})
    throw new Errors.ExitError(error.exitCode)
  }

  // the longest prefix that is a command: the rest are arguments it does not take
  let error: FabError | undefined
  for (let n = words.length - 1; n > 0 && !error; n--) {
    const id = words.slice(0, n).join(':')
    const command = id.replaceAll(':', ' ')
    if (opts.config.findCommand(id))
      error = new FabError(
        'USAGE',
        `${bin} ${command} takes no arguments (got ${words
          .slice(n)
          .map((w) => `"${w}"`)
          .join(' ')})`,
        {hint: `see ${bin} ${command} --help`},
      )
    else if (opts.config.findTopic(id))
      error = new FabError('USAGE', `unknown command "${bin} ${words.join(' ')}"`, {
        hint: `see ${bin} ${command} --help for its commands`,
      })
  }

  error ??= new FabError('USAGE', `unknown command "${words.join(' ')}"`, {
    hint: `see ${bin} --help for the commands`,
  })
  const {reportError} = await import('../render/errors.js')
  await reportError(error, {json})
  throw new Errors.ExitError(error.exitCode)
}

export default hook
