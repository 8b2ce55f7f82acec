import {Args, Errors, Flags} from '@oclif/core'

import type {ImportResult} from '../../lib/network/import.js'
import type {CheckReport} from '../../lib/network/probe/index.js'

import {BaseCommand} from '../../base-command.js'
import {ExitCode, FabError} from '../../lib/errors.js'

const many = (description: string) => Flags.string({description, multiple: true})

export default class NetworkImport extends BaseCommand<typeof NetworkImport> {
  static override args = {
    source: Args.string({
      description: 'a connection profile (.json/.yaml), an organizations/ folder, or test-network-k8s build/',
      required: true,
    }),
  }
  static override description = `Write the network section of fabk8s.yaml from a network another tool described.

SOURCE is one of:
  - a Fabric connection profile, JSON or YAML (test-network's connection-org1.json, hlf-operator's network config)
  - an organizations/ folder as cryptogen and test-network write it (or the test-network folder holding it)
  - test-network-k8s' build/ folder (or the test-network-k8s folder holding it)

Only the network section changes; the rest of fabk8s.yaml stays byte for byte, comments included, and the file is
replaced atomically. Certificates and keys a profile holds inline, or given with --cert/--key, go to .fabk8s/network/
next to fabk8s.yaml (folder 0700, keys 0600, git-ignored, listed in .dockerignore): fabk8s.yaml holds only paths.
Private keys are never printed. Every file is checked before any is written, and fabk8s.yaml is written last: a file
it cannot write is exit 4 naming it, with nothing changed.

--check then probes every peer (TLS handshake with its CA, QueryInstalledChaincodes as the org admin, the channel)
and the orderer (TLS handshake, Deliver of the newest block) and exits 9 when a probe fails.`
  static override examples = [
    '<%= config.bin %> network import ~/fabric-samples/test-network/organizations --check',
    '<%= config.bin %> network import ~/fabric-samples/test-network-k8s/build --check',
    '<%= config.bin %> network import org1.yaml --orderer orderer0.localho.st:443 --orderer-tls-ca orderer-ca.pem --channel demo',
    '<%= config.bin %> network import connection-org1.json --msp-path Org1MSP=crypto/Admin@org1/msp --dry-run',
  ]
  static override flags = {
    address: many('NAME=HOST:PORT: the address of a peer or orderer, by the name the source gives it'),
    cert: many("ORG=FILE: the org admin's certificate (with --key)"),
    channel: Flags.string({description: "channel name [default: the profile's first channel, else mychannel]"}),
    check: Flags.boolean({
      default: false,
      description: 'probe every peer and the orderer after writing; exit 9 on a failure',
    }),
    'dry-run': Flags.boolean({default: false, description: 'print the section it would write; write nothing'}),
    from: Flags.string({
      description: 'the kind of SOURCE [default: detected]',
      options: ['profile', 'organizations', 'k8s-build'],
    }),
    host: Flags.string({
      description: "organizations/: the host for test-network's ports (peer0.org1 7051, peer0.org2 9051, orderer 7050)",
      helpGroup: 'SOURCE',
    }),
    'ingress-domain': Flags.string({
      description: 'test-network-k8s build/: the ingress domain [default: localho.st]',
      helpGroup: 'SOURCE',
    }),
    'ingress-port': Flags.integer({
      description: 'test-network-k8s build/: the ingress port [default: 443]',
      helpGroup: 'SOURCE',
      max: 65_535,
      min: 1,
    }),
    key: many("ORG=FILE: the org admin's private key (with --cert)"),
    'msp-id': many('NAME=ID: the MSP ID of an org, by its name in the source (a domain, a profile key)'),
    'msp-path': many("ORG=DIR: the org admin's MSP folder (signcerts/, keystore/); ORG is an MSP ID"),
    orderer: Flags.string({description: 'HOST:PORT of the orderer, or the name of one in the source'}),
    'orderer-hostname': Flags.string({description: "name to check in the orderer's TLS certificate"}),
    'orderer-tls-ca': Flags.string({description: "the orderer's TLS CA certificate file"}),
    org: many('import only this org (MSP ID or source name); repeat for more'),
    timeout: Flags.integer({default: 10, description: 'seconds per probe step (--check)', min: 1}),
    user: many('NAME or ORG=NAME: which user of a profile org is its admin'),
  }

  protected async execute(): Promise<ImportResult> {
    const f = this.flags
    const {importNetwork} = await import('../../lib/network/import.js')
    const users: Record<string, string> = {}
    if (f.user) {
      const {splitAssign} = await import('../../lib/network/overrides.js')
      for (const u of f.user) {
        const [k, v] = splitAssign('user', u)
        users[k] = v
      }
    }

    const r = await importNetwork({
      address: f.address,
      cert: f.cert,
      channel: f.channel,
      check: f.check,
      domain: f['ingress-domain'],
      dryRun: f['dry-run'],
      host: f.host,
      key: f.key,
      kind: f.from as 'k8s-build' | 'organizations' | 'profile' | undefined,
      mspId: f['msp-id'],
      mspPath: f['msp-path'],
      orderer: f.orderer,
      ordererHostname: f['orderer-hostname'],
      ordererTlsCA: f['orderer-tls-ca'],
      org: f.org,
      port: f['ingress-port'],
      projectDir: f.project,
      source: this.args.source!,
      timeoutMs: f.timeout * 1000,
      users,
    })

    if (!this.jsonEnabled()) await this.render(r)
    if (r.check && !r.check.ok) {
      if (this.jsonEnabled()) {
        this.logJson(r)
        throw new Errors.ExitError(ExitCode.FABRIC)
      }

      throw new FabError('FABRIC', checkSummary(r.check), {
        hint: 'fix what the failed steps above say, then run the import (or --check) again',
      })
    }

    return r
  }

  private async render(r: ImportResult): Promise<void> {
    const {c} = await import('../../lib/ui/colors.js')
    const {default: path} = await import('node:path')
    const rel = (p: string) => path.relative(process.cwd(), p) || p
    if (r.written) {
      const how = {appended: 'added', replaced: 'replaced', 'replaced-example': 'replaced the commented example in'}[
        r.mode
      ]
      this.say(`${c.good('✓')} network section ${how} ${rel(r.file)} from ${rel(r.source)} (${r.kind})`)
      const n = r.network
      this.say(`  channel  ${n.channel}`)
      this.say(`  orderer  ${n.orderer.address}`)
      for (const o of n.orgs)
        this.say(`  ${o.mspId}  admin ${o.mspPath}; peers ${o.peers.map((p) => p.address).join(', ')}`)
      if (r.files.length > 0)
        this.say(
          `  wrote ${r.files.length} file(s) under .fabk8s/network (keys 0600, git-ignored${r.dockerignore === 'present' ? '' : `; .dockerignore ${r.dockerignore === 'created' ? 'created' : 'updated'}`})`,
        )
    } else {
      process.stderr.write(`${c.dim(`# dry run: the section fabk8s network import would write into ${rel(r.file)}`)}\n`)
      this.say(r.section.trimEnd())
      for (const file of r.files) process.stderr.write(`${c.dim(`# would write ${file.path} (mode ${file.mode})`)}\n`)
    }

    for (const note of r.notes) this.note(c.dim(`note: ${note}`))
    if (r.check) this.say(renderCheck(r.check, c))
  }
}

function checkSummary(check: CheckReport): string {
  const bad = check.endpoints.filter((e) => !e.ok)
  const first = bad[0]?.steps.find((s) => s.status === 'failed')
  return `check: ${bad.length} of ${check.endpoints.length} endpoint(s) failed${first ? `; first: ${first.message}` : ''}`
}

type Colors = (typeof import('../../lib/ui/colors.js'))['c']

export function renderCheck(check: CheckReport, c: Colors): string {
  const lines = [`check (channel ${check.channel}):`]
  const mark = (s: 'failed' | 'ok' | 'skipped') => (s === 'ok' ? c.good('✓') : s === 'failed' ? c.bad('✗') : c.dim('-'))
  for (const e of check.endpoints) {
    const who = [e.kind, e.name, e.address, e.mspId && e.kind === 'peer' ? `(${e.mspId})` : '']
      .filter(Boolean)
      .join(' ')
    lines.push(`  ${mark(e.ok ? 'ok' : 'failed')} ${c.strong(who)}`)
    for (const s of e.steps) {
      lines.push(
        `      ${mark(s.status)} ${s.probe.padEnd(8)} ${s.status === 'skipped' ? c.dim(s.message) : s.message}`,
      )
      if (s.status === 'failed' && s.hint) lines.push(`                 ${c.dim(s.hint)}`)
    }
  }

  return lines.join('\n')
}
