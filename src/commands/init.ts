import {Args, Flags} from '@oclif/core'

import type {Language} from '../lib/project/schema.js'

import {BaseCommand} from '../base-command.js'

export interface InitResult {
  dir: string
  dryRun: boolean
  files: {bytes: number; path: string}[]
  language: Language
  name: string
}

export default class Init extends BaseCommand<typeof Init> {
  static override args = {
    name: Args.string({description: 'chaincode name (lower-case DNS-1123; names the Kubernetes resources)'}),
  }
  static override description = `Scaffold a chaincode-as-a-service project: contract, server, tests, Dockerfile, fabk8s.yaml.

Asks for what is missing when a person is at a terminal; otherwise (CI, no TTY, --json) takes the defaults,
and a missing NAME is an error. Refuses a non-empty folder unless --force; --dry-run lists the files only.`
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init kv --language go --yes',
    '<%= config.bin %> init kv --language typescript --tls --namespace chaincode --dir ./kv --dry-run',
  ]
  static override flags = {
    address: Flags.string({
      description:
        'host:port the peers dial (fabk8s.yaml chaincode.address; with --tls its host goes into the server certificate) [default: <name>.<namespace>.svc.cluster.local:<port>]',
    }),
    'chaincode-version': Flags.string({default: undefined, description: 'chaincode version (fabk8s.yaml version)'}),
    channel: Flags.string({description: 'Fabric channel [default: mychannel]'}),
    cluster: Flags.string({description: 'kind cluster name [default: kind]'}),
    dir: Flags.string({char: 'd', description: 'folder to create the project in [default: ./NAME]'}),
    'dry-run': Flags.boolean({default: false, description: 'list the files that would be written; write nothing'}),
    force: Flags.boolean({
      default: false,
      description: 'write into a non-empty folder, replacing files with the same names',
    }),
    language: Flags.string({
      char: 'l',
      description: 'chaincode language [default: typescript]',
      options: ['typescript', 'javascript', 'go', 'java'],
    }),
    namespace: Flags.string({char: 'n', description: 'Kubernetes namespace for the chaincode [default: fabk8s]'}),
    'node-port': Flags.string({
      description:
        'serve through a NodePort Service on this fixed port (30000-32767), for peers outside the cluster; needs --address <node>:<port>',
    }),
    port: Flags.string({description: 'chaincode server port, 1-65535 [default: 9999]'}),
    tls: Flags.boolean({
      allowNo: true,
      description: 'TLS between peer and chaincode (generates a CA and certificates) [default: off]',
    }),
  }

  protected async execute(): Promise<InitResult> {
    const {args} = await this.parse(Init)
    const f = this.flags
    const {default: path} = await import('node:path')
    const {INIT_DEFAULTS, parseNodePort, parsePort, planProject, validate} = await import('../lib/scaffold/init.js')
    const {checkTarget, writeAll} = await import('../lib/scaffold/write.js')
    const {resolveAnswers} = await import('../lib/scaffold/answers.js')

    const answers = await resolveAnswers(
      {
        channel: f.channel,
        cluster: f.cluster,
        language: f.language as Language | undefined,
        name: args.name ?? (f.dir ? path.basename(path.resolve(f.dir)) : undefined),
        nameFromDir: !args.name && Boolean(f.dir),
        namespace: f.namespace,
        port: f.port === undefined ? undefined : parsePort(f.port, '--port'),
        tls: f.tls,
        version: f['chaincode-version'],
      },
      {defaults: INIT_DEFAULTS, json: this.jsonEnabled(), validate, yes: f.yes},
    )
    answers.address = f.address
    answers.nodePort = f['node-port'] === undefined ? undefined : parseNodePort(f['node-port'], '--node-port')
    const dir = path.resolve(f.dir ?? answers.name)
    await checkTarget(dir, f.force)
    const files = await planProject(answers)
    if (!f['dry-run']) {
      const {note} = await writeAll(dir, files)
      if (note) this.note(`Warning: ${note}`)
    }

    const result: InitResult = {
      dir,
      dryRun: f['dry-run'],
      files: files.map((p) => ({bytes: p.content.length, path: p.path})),
      language: answers.language,
      name: answers.name,
    }
    const {c} = await import('../lib/ui/colors.js')
    const rel = path.relative(process.cwd(), dir) || '.'
    if (f['dry-run']) {
      this.say(`Would write ${files.length} files into ${rel}:`)
      for (const p of result.files) this.say(`  ${p.path} ${c.dim(`(${p.bytes} bytes)`)}`)
    } else {
      this.say(
        `${c.good('✔')} Created ${c.strong(answers.name)} (${answers.language}) in ${rel}: ${files.length} files`,
      )
      this.say('')
      this.say('Next:')
      this.say(`  cd ${rel}`)
      this.say(
        {
          go: '  go test ./...',
          java: '  mvn test',
          javascript: '  npm install && npm test',
          typescript: '  npm install && npm test',
        }[answers.language],
      )
      this.say(
        '  fabk8s network import SOURCE  # describe your Fabric network in fabk8s.yaml (or edit its network section)',
      )
      this.say('  fabk8s up                     # build, load into kind, deploy, register')
    }

    return result
  }
}
