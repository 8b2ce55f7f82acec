import type {InitAnswers} from './init.js'

import {FabError} from '../errors.js'
import {type Language, LANGUAGES} from '../project/schema.js'
import {isInteractive} from '../ui/interactive.js'
import {prompter} from '../ui/prompts.js'
import {show} from '../ui/text.js'

export interface GivenAnswers extends Partial<Omit<InitAnswers, 'language'>> {
  language?: Language
  /** NAME was derived from --dir's folder name. */
  nameFromDir?: boolean
}

type Validators = Record<
  'channel' | 'cluster' | 'name' | 'namespace' | 'port' | 'version',
  (v: string) => string | true
>

function check(flag: string, r: string | true): void {
  if (r !== true) throw new FabError('USAGE', `${flag}: ${r}`)
}

/**
 * flag → default (with --yes, or when no prompt is possible) → prompt. Never prompts without a TTY, in CI or
 * with --json; then a missing NAME is an error naming it.
 */
export async function resolveAnswers(
  given: GivenAnswers,
  opts: {defaults: Omit<InitAnswers, 'name'>; json: boolean; validate: Validators; yes: boolean},
): Promise<InitAnswers> {
  const {defaults, validate} = opts
  const ask = !opts.yes && isInteractive({json: opts.json})
  const p = prompter()
  let {name} = given
  if (name === undefined) {
    if (!ask)
      throw new FabError('USAGE', 'missing NAME: pass the chaincode name (fabk8s init NAME) or --dir DIR', {
        hint: 'prompts are off without a terminal, in CI and with --json; e.g. fabk8s init kv --yes',
      })
    name = await p.input('Chaincode name', 'asset', validate.name)
  } else check(given.nameFromDir ? `NAME (from --dir folder name ${show(name)})` : 'NAME', validate.name(name))

  const text = async (key: 'channel' | 'cluster' | 'namespace' | 'version', flag: string, message: string) => {
    const v = given[key]
    if (v !== undefined) {
      check(flag, validate[key](v))
      return v
    }

    return ask ? p.input(message, defaults[key], validate[key]) : defaults[key]
  }

  const language =
    given.language ??
    (ask
      ? await p.select<Language>(
          'Language',
          LANGUAGES.map((l) => ({
            name: {
              go: 'Go (fabric-contract-api-go)',
              java: 'Java (fabric-chaincode-java, Maven)',
              javascript: 'JavaScript',
              typescript: 'TypeScript',
            }[l],
            value: l,
          })),
          defaults.language,
        )
      : defaults.language)
  const channel = await text('channel', '--channel', 'Fabric channel')
  const namespace = await text('namespace', '--namespace', 'Kubernetes namespace')
  const cluster = await text('cluster', '--cluster', 'kind cluster name')
  let port = given.port ?? defaults.port
  if (given.port === undefined && ask)
    port = Number(await p.input('Chaincode server port', String(defaults.port), validate.port))
  const tls = given.tls ?? (ask ? await p.confirm('TLS between peer and chaincode?', defaults.tls) : defaults.tls)
  const version =
    given.version === undefined ? defaults.version : await text('version', '--chaincode-version', 'Version')
  return {channel, cluster, language, name, namespace, port, tls, version}
}
