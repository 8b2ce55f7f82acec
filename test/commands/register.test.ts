import type {Context} from 'mocha'

import {expect} from 'chai'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {stripVTControlCharacters} from 'node:util'

import {
  type Fabnet,
  fabnetOrSkip,
  networkYaml,
  type OwnFabnet,
  peerCli,
  startOwnFabnet,
  tempProject,
  uniqueName,
} from '../lib/fabric/fabnet.js'
import {BIN, json, runCli} from '../support/cli.js'
import {hasScript, inTerminal} from '../support/terminal.js'

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/fabric/kvcc')

interface RegisterOut {
  approved: string[]
  changed: boolean
  committed: boolean
  installedOn: string[]
  packageId: string
  sequence: number
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as {port: number}
      s.close(() => resolve(port))
    })
  })
}

let kvcc: string | undefined
/** The kvcc fixture with its node_modules, installed once per run (or why it cannot be). */
function kvccDir(ctx: Context): string {
  if (kvcc) return kvcc
  const dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-kvcc-'))
  execFileSync('cp', ['-R', `${FIXTURE}/.`, dir])
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {cwd: dir, stdio: 'pipe'})
  } catch (error) {
    console.log(`      skipped: npm install of fabric-shim failed (${String((error as Error).message).split('\n')[0]})`)
    ctx.skip()
  }

  kvcc = dir
  return dir
}

/** Start the kvcc chaincode server as `packageId` on `port`; resolves once it listens. */
async function startKvcc(ctx: Context, packageId: string, port: number): Promise<{kill(): void; log(): string}> {
  let log = ''
  const server = spawn(process.execPath, ['index.js'], {
    cwd: kvccDir(ctx),
    env: {...process.env, CHAINCODE_ID: packageId, CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const collect = (d: Buffer) => {
    log += d
  }

  server.stdout!.on('data', collect)
  server.stderr!.on('data', collect)
  for (let i = 0; i < 100 && !log.includes('listening'); i++)
    await new Promise((r) => {
      setTimeout(r, 100)
    })
  expect(log).to.contain('listening')
  return {kill: () => server.kill('SIGKILL'), log: () => log}
}

function needPeerCli(ctx: Context): void {
  if (!process.env.FABRIC_BIN || !existsSync(path.join(process.env.FABRIC_BIN, 'peer'))) {
    console.log('      skipped: FABRIC_BIN/peer not found (source the test bed env file)')
    ctx.skip()
  }
}

describe('fabk8s register @integration (real Fabric network)', function () {
  this.timeout(180_000)
  let f: Fabnet
  let dir: string
  let name: string

  before(function () {
    f = fabnetOrSkip(this)
    name = uniqueName()
    dir = tempProject(f, {name})
  })

  it('registers for both orgs: installs on both peers, approves for both, commits sequence 1', async () => {
    const r = await runCli(['register', '--json', '--verbose'], {cwd: dir})
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const out = json<RegisterOut & {timings: {ms: number; step: string}[]}>(r)
    // the installs start once both approvals are on their way to the orderer (they run during the block cuts)
    const at = (re: RegExp) => out.timings.filter((t) => re.test(t.step)).map((t) => t.ms)
    const ordered = at(/^approve \S+: ordered/)
    const installed = at(/^install on \S+: started/)
    expect(ordered, JSON.stringify(out.timings)).to.have.length(2)
    expect(installed).to.have.length(2)
    expect(Math.min(...installed)).to.be.greaterThan(Math.max(...ordered))
    // the timeline starts with the start-up, on the same clock: Node ready, the CLI's code, oclif, fabk8s.yaml
    const steps = out.timings.map((t) => t.step)
    expect(steps.slice(0, 5), JSON.stringify(out.timings)).to.deep.equal([
      "node ready (fabk8s's first line)",
      'CLI code loaded (bundle, code cache)',
      'command parsed (oclif: config, flags)',
      'fabk8s.yaml read',
      'register: start',
    ])
    const ms = out.timings.map((t) => t.ms)
    expect(ms[0]).to.be.greaterThan(0)
    expect(ms, JSON.stringify(out.timings)).to.deep.equal([...ms].sort((a, b) => a - b))
    expect(out.sequence).to.equal(1)
    // `changed`, as deploy --json names it: this run installed, approved or committed something
    expect(out.changed).to.equal(true)
    expect(out.committed).to.equal(true)
    expect(out.approved.sort()).to.deep.equal(f.orgs.map((o) => o.mspId).sort())
    expect(out.installedOn).to.deep.equal(f.orgs.map((o) => o.peerAddress))
    expect(out).not.to.have.property('installed')
    const st = json<{committed: {sequence: number}; peers: {hasPackage: boolean; packageIds: string[]}[]}>(
      await runCli(['lifecycle', 'status', '--json'], {cwd: dir}),
    )
    expect(st.committed.sequence).to.equal(1)
    expect(st.peers.every((p) => p.hasPackage)).to.equal(true)
    // `installed` is only ever a peer's boolean (lifecycle install): a peer's packages are packageIds
    expect(st.peers.every((p) => p.packageIds.includes(out.packageId) && !('installed' in p))).to.equal(true)
  })

  it('a second run changes nothing and says so', async () => {
    const r = await runCli(['register', '--json'], {cwd: dir})
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const out = json<RegisterOut>(r)
    expect(out).to.include({changed: false, committed: false, sequence: 1})
    expect(out).to.not.have.property('upToDate')
    expect(out.installedOn).to.deep.equal([])
    expect(out.approved).to.deep.equal([])
    const human = await runCli(['register'], {cwd: dir})
    expect(human.stdout).to.match(/nothing to do/)
  })

  it('the package ID equals what `peer lifecycle chaincode calculatepackageid` prints', async function () {
    needPeerCli(this)
    const out = json<{file: string; packageId: string}>(await runCli(['lifecycle', 'package', '--json'], {cwd: dir}))
    expect(peerCli(f, 0, ['lifecycle', 'chaincode', 'calculatepackageid', out.file]).trim()).to.equal(out.packageId)
  })

  it('changing the endorsement policy commits sequence 2', async () => {
    const policy = "OR('Org1MSP.peer','Org2MSP.peer')"
    const r = await runCli(['register', '--json', '--signature-policy', policy], {cwd: dir})
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    expect(json<RegisterOut>(r)).to.include({changed: true, committed: true, sequence: 2})
    const st = json<{committed: {endorsementPolicy: string; sequence: number}}>(
      await runCli(['lifecycle', 'status', '--json', '--signature-policy', policy], {cwd: dir}),
    )
    expect(st.committed).to.include({endorsementPolicy: "OR('Org1MSP.peer', 'Org2MSP.peer')", sequence: 2})
  })

  it('an approval made by the peer CLI with the same policy counts as already approved (same bytes)', async function () {
    needPeerCli(this)
    const n = uniqueName()
    const d = tempProject(f, {name: n})
    const pkg = json<{packageId: string}>(await runCli(['lifecycle', 'package', '--json'], {cwd: d}))
    const policy = "AND('Org1MSP.peer',OR('Org2MSP.member','Org1MSP.admin'))"
    peerCli(f, 0, [
      'lifecycle',
      'chaincode',
      'approveformyorg',
      '-o',
      f.ordererAddress,
      '--tls',
      '--cafile',
      f.ordererCA,
      '-C',
      f.channel,
      '-n',
      n,
      '-v',
      '1.0',
      '--sequence',
      '1',
      '--package-id',
      pkg.packageId,
      '--signature-policy',
      policy,
    ])
    const r = await runCli(['lifecycle', 'approve', '--json', '--signature-policy', policy], {cwd: d})
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const {orgs} = json<{orgs: {approved: boolean; mspId: string}[]}>(r)
    expect(orgs.find((o) => o.mspId === 'Org1MSP')!.approved).to.equal(false)
    expect(orgs.find((o) => o.mspId === 'Org2MSP')!.approved).to.equal(true)
    const c = await runCli(['lifecycle', 'commit', '--json', '--signature-policy', policy], {cwd: d})
    expect(c.code, c.stdout + c.stderr).to.equal(0)
    expect(json(c)).to.include({committed: true, sequence: 1, validation: 'VALID'})
  })

  it('a policy naming an org or a policy the channel does not have: exit 2 naming the flag; nothing is installed, approved or committed', async () => {
    const d = tempProject(f, {name: uniqueName('ha')})
    const org = await runCli(['register', '--json', '--signature-policy', "AND('Org1MSP.peer','Org3MSP.peer')"], {
      cwd: d,
    })
    expect(org.code, org.stdout + org.stderr).to.equal(2)
    expect(json<{error: {message: string}}>(org).error.message).to.equal(
      `--signature-policy: Org3MSP is not an org of channel ${f.channel} (its orgs: Org1MSP, Org2MSP)`,
    )
    const ref = await runCli(['register', '--channel-config-policy', '/Channel/Application/Nope'], {cwd: d})
    expect(ref.code, ref.stderr).to.equal(2)
    expect(ref.stderr).to.match(
      /^Error: --channel-config-policy: \/Channel\/Application\/Nope is not a policy of channel \S+ \(its Application policies: .*\)$/m,
    )
    const st = json<{channelApprovals: Record<string, boolean>; committed: unknown; peers: {hasPackage: boolean}[]}>(
      await runCli(['lifecycle', 'status', '--json'], {cwd: d}),
    )
    expect(st.channelApprovals).to.deep.equal({Org1MSP: false, Org2MSP: false})
    expect(st.committed).to.equal(null)
    expect(st.peers.map((p) => p.hasPackage)).to.deep.equal([false, false])
    // a reference relative to /Channel, as Fabric resolves it, is the channel's
    const ok = await runCli(['register', '--json', '--channel-config-policy', 'Application/Endorsement'], {cwd: d})
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0)
  })

  it('two runs of one chaincode at once: the one that loses the race says another change committed at the same time (exit 9); a third run finds it all in place', async () => {
    // the race is real, not staged: when both runs happen to pass (one saw the other's transactions), try again
    for (let attempt = 1; ; attempt++) {
      const d = tempProject(f, {name: uniqueName('ha')})
      const [a, b] = await Promise.all([
        runCli(['register', '--json'], {cwd: d}),
        runCli(['register'], {cwd: d, env: {...process.env, NO_COLOR: '1'}}),
      ])
      if (a.code === 0 && b.code === 0 && attempt < 4) continue
      expect([a.code, b.code].sort(), a.stdout + b.stderr).to.deep.equal([0, 9])
      // an approval or the commit lost the race
      const race = /another change to the definition committed at the same time.*MVCC_READ_CONFLICT in block \d+\)$/
      if (a.code === 9) {
        const e = json<{error: {detail: Record<string, unknown>; hint: string; message: string}}>(a).error
        expect(e.message).to.match(race)
        expect(e.detail).to.include({concurrentChange: true})
        expect(JSON.stringify(e.detail)).to.include('"MVCC_READ_CONFLICT"')
        expect(e.hint).to.match(/run the command again/)
      } else {
        expect(b.stderr).to.match(new RegExp(`^Error: .*${race.source}$`, 'm'))
        expect(b.stderr).to.match(/^Hint: run the command again/m)
      }

      const again = json<RegisterOut>(await runCli(['register', '--json'], {cwd: d}))
      expect(again).to.include({committed: false, sequence: 1})
      return
    }
  })

  it('a commit without enough approvals fails with exit 9 and shows the approvals per org', async () => {
    const d = tempProject(f, {name: uniqueName()})
    expect((await runCli(['lifecycle', 'approve', '--org', 'Org1MSP'], {cwd: d})).code).to.equal(0)
    const r = await runCli(['lifecycle', 'commit'], {cwd: d})
    expect(r.code).to.equal(9)
    expect(r.stderr).to.match(/not enough approvals \(Org1MSP approved, Org2MSP NOT approved\)/)
  })

  it('errors: unreachable peer names the address; a non-admin identity is access denied (exit 9)', async () => {
    const unreachable = tempProject(f, {
      name: uniqueName(),
      network: networkYaml(f, {orgs: [{peerAddress: '127.0.0.1:1'}]}),
    })
    const r1 = await runCli(['lifecycle', 'install'], {cwd: unreachable})
    expect(r1.code).to.equal(9)
    expect(r1.stderr).to.match(/cannot reach 127\.0\.0\.1:1/)
    const user = tempProject(f, {name: uniqueName(), network: networkYaml(f, {orgs: [{mspPath: f.orgs[0].userMsp}]})})
    const r2 = await runCli(['lifecycle', 'install'], {cwd: user})
    expect(r2.code).to.equal(9)
    expect(r2.stderr).to.match(/access denied at .* for Org1MSP/)
    const badCa = tempProject(f, {name: uniqueName(), network: networkYaml(f, {orgs: [{peerCA: f.orgs[1].peerCA}]})})
    const r3 = await runCli(['lifecycle', 'status'], {cwd: badCa})
    expect(r3.code).to.equal(9)
    expect(r3.stderr).to.match(/TLS handshake with .* failed .*check the CA file/)
    const badChannel = tempProject(f, {
      name: uniqueName(),
      network: networkYaml(f).replace(`channel: ${f.channel}`, 'channel: nochannel'),
    })
    const r4 = await runCli(['lifecycle', 'status'], {cwd: badChannel})
    expect(r4.code).to.equal(9)
    expect(r4.stderr).to.match(/channel "nochannel" does not exist/)
  })

  it('a malformed --package: exit 9 names the file in one error, nothing is installed or approved; it is the error also when the peers cannot be reached', async () => {
    const bad = path.join(mkdtempSync(path.join(tmpdir(), 'fabk8s-badpkg-')), 'cc.tgz')
    writeFileSync(bad, 'not a chaincode package')
    const d = tempProject(f, {name: uniqueName()})
    const r = await runCli(['register', '--package', bad], {cwd: d, env: {...process.env, NO_COLOR: '1'}})
    expect(r.code, r.stdout + r.stderr).to.equal(9)
    const lines = r.stderr.trim().split('\n')
    expect(lines.at(-1)).to.equal(
      `Error: ${bad}: malformed chaincode package: not a gzip file (incorrect header check)`,
    )
    expect(lines.filter((l) => l.startsWith('Error:'))).to.have.length(1)
    const st = json<{approvals: object; orgs: {approved: unknown}[]; peers: {hasPackage: boolean}[]}>(
      await runCli(['lifecycle', 'status', '--json'], {cwd: d}),
    )
    expect(st.approvals).to.deep.equal({})
    expect(st.orgs.map((o) => o.approved)).to.deep.equal([null, null])
    // the package from fabk8s.yaml (the one `status` checks) was not installed either
    expect(st.peers.map((p) => p.hasPackage)).to.deep.equal([false, false])

    // the package's failure wins over the plan's when both fail (peers that cannot be reached)
    const nowhere = tempProject(f, {
      name: uniqueName(),
      network: networkYaml(f, {orgs: [{peerAddress: '127.0.0.1:1'}, {peerAddress: '127.0.0.1:1'}]}),
    })
    const r2 = await runCli(['register', '--package', bad, '--json'], {cwd: nowhere})
    expect(r2.code).to.equal(9)
    expect(json<{error: {message: string}}>(r2).error.message).to.equal(
      `${bad}: malformed chaincode package: not a gzip file (incorrect header check)`,
    )
  })

  it('a second peer of an org that cannot be reached: every other install and the definition run to their end; exit 9 says what each did', async () => {
    // Org2 lists its real peer, then one at a closed port: the plan and approvals need only the first, the
    // install goes to both
    const network = `${networkYaml(f)}        - address: 127.0.0.1:1\n          tlsCACert: ${f.orgs[1].peerCA}\n`
    const n = uniqueName()
    const d = tempProject(f, {name: n, network})
    const r = await runCli(['register', '--json'], {cwd: d})
    expect(r.code, r.stdout + r.stderr).to.equal(9)
    const e = json<{
      error: {detail: {approved: string[]; committed: boolean; peers: Record<string, string>}; message: string}
    }>(r).error
    const reachable = f.orgs.map((o) => `${o.peerAddress} installed`).join(', ')
    expect(e.message).to.match(/^cannot reach 127\.0\.0\.1:1 .* during install on 127\.0\.0\.1:1; /)
    expect(e.message.split('; ').slice(1)).to.deep.equal([
      reachable,
      `the definition was approved by ${f.orgs.map((o) => o.mspId).join(', ')} and committed (VALID)`,
    ])
    expect(e.detail.committed).to.equal(true)
    // the reachable peers have the package, and the definition is committed
    const st = json<{committed: {sequence: number}; peers: {hasPackage: boolean}[]}>(
      await runCli(['lifecycle', 'status', '--json'], {cwd: tempProject(f, {name: n})}),
    )
    expect(st.committed.sequence).to.equal(1)
    expect(st.peers.map((p) => p.hasPackage)).to.deep.equal([true, true])
  })

  it("the definition fails after the installs went through (the orderer is a peer's address): --json says where the package now is", async () => {
    const [org1, org2] = f.orgs
    const network = networkYaml(f)
      .replace(`address: ${f.ordererAddress}`, `address: ${org1.peerAddress}`)
      .replace(`tlsCACert: ${f.ordererCA}`, `tlsCACert: ${org1.peerCA}`)
    const r = await runCli(['register', '--json'], {cwd: tempProject(f, {name: uniqueName(), network})})
    expect(r.code, r.stdout + r.stderr).to.equal(9)
    const e = json<{error: {detail: {installedOn: string[]}; message: string}}>(r).error
    expect(e.message).to.match(/is not an orderer: it has no orderer\.AtomicBroadcast service/)
    expect(e.detail.installedOn).to.deep.equal([org1.peerAddress, org2.peerAddress])
  })

  it("the definition and an install both fail: exit 9 gives the definition's error, then each failed install and what the other peers did", async () => {
    // fabk8s.yaml lists Org1 only (its real peer, then one at a closed port): Org1's approval goes through, the
    // commit is not sent (the channel's MAJORITY needs Org2 too), and the second install cannot reach its peer
    const [org1, org2] = f.orgs
    const only1 = networkYaml(f).split(`    - mspId: ${org2.mspId}`)[0]
    const network = `${only1}        - address: 127.0.0.1:1\n          tlsCACert: ${org1.peerCA}\n`
    const n = uniqueName()
    const r = await runCli(['register', '--json'], {cwd: tempProject(f, {name: n, network})})
    expect(r.code, r.stdout + r.stderr).to.equal(9)
    const e = json<{
      error: {
        code: string
        detail: {approvals: Record<string, boolean>; peers: Record<string, string>}
        message: string
      }
    }>(r).error
    const [define, installs] = e.message.split('; and ')
    expect(define).to.equal(
      `commit of ${n} sequence 1 not sent: the channel's LifecycleEndorsement policy needs MAJORITY Endorsement ` +
        `(peers of 2 of the channel's 2 orgs), and only ${org1.mspId} approved it (not yet ${org2.mspId})`,
    )
    expect(installs).to.match(
      new RegExp(
        `^cannot reach 127\\.0\\.0\\.1:1 .* during install on 127\\.0\\.0\\.1:1; ${org1.peerAddress} installed$`,
      ),
    )
    expect(e.detail.approvals).to.deep.equal({[org1.mspId]: true, [org2.mspId]: false})
    expect(Object.keys(e.detail.peers)).to.have.members([org1.peerAddress, '127.0.0.1:1'])
    expect(e.detail.peers[org1.peerAddress]).to.equal('installed')
  })

  it("fabk8s.yaml with one org of two: approves for it, sends no commit the channel's MAJORITY would refuse, and once the other org has approved, commits with its peer found by the gateway", async function () {
    needPeerCli(this)
    const [org1, org2] = f.orgs
    const network = networkYaml(f).split(`    - mspId: ${org2.mspId}`)[0]
    const height = () =>
      (JSON.parse(peerCli(f, 0, ['channel', 'getinfo', '-c', f.channel]).replace(/^[^{]*/, '')) as {height: number})
        .height
    type Failed = {
      error: {detail: {approvals: Record<string, boolean>; committed: boolean}; hint: string; message: string}
    }
    // Org2's admin approves with the peer CLI, as another company would
    const approveAsOrg2 = async (n: string, d: string) => {
      const pkg = json<{packageId: string}>(await runCli(['lifecycle', 'package', '--json'], {cwd: d}))
      const o = ['-o', f.ordererAddress, '--tls', '--cafile', f.ordererCA, '-C', f.channel, '-n', n, '-v', '1.0']
      peerCli(f, 1, [
        'lifecycle',
        'chaincode',
        'approveformyorg',
        ...o,
        '--sequence',
        '1',
        '--package-id',
        pkg.packageId,
      ])
    }

    // register, then `lifecycle approve` + `lifecycle commit`: each commit is held back until Org2 has approved
    for (const steps of [
      [['register']],
      [
        ['lifecycle', 'approve'],
        ['lifecycle', 'commit'],
      ],
    ]) {
      const n = uniqueName()
      const d = tempProject(f, {name: n, network})
      const before = height()
      let r = {code: 0, stderr: '', stdout: ''}
      for (const args of steps) r = await runCli([...args, '--json'], {cwd: d})
      expect(r.code, r.stdout + r.stderr).to.equal(9)
      const e = json<Failed>(r).error
      expect(e.message).to.equal(
        `commit of ${n} sequence 1 not sent: the channel's LifecycleEndorsement policy needs MAJORITY Endorsement ` +
          `(peers of 2 of the channel's 2 orgs), and only ${org1.mspId} approved it (not yet ${org2.mspId})`,
      )
      expect(e.hint).to.match(
        new RegExp(`^${org2.mspId}: its admin approves the same definition \\(${n}, sequence 1\\)`),
      )
      expect(e.detail).to.deep.include({approvals: {[org1.mspId]: true, [org2.mspId]: false}, committed: false})
      // one block (Org1's approval), no second one: no commit was sent
      expect(height() - before).to.equal(1)
      // lifecycle status shows the channel's approvals, the org outside fabk8s.yaml included
      const st = await runCli(['lifecycle', 'status'], {cwd: d, env: {...process.env, NO_COLOR: '1'}})
      expect(st.stdout).to.contain(
        `channel     approved sequence 1: ${org1.mspId} yes, ${org2.mspId} no (not in fabk8s.yaml)`,
      )
      await approveAsOrg2(n, d)
      const st2 = json<{channelApprovals: Record<string, boolean>}>(
        await runCli(['lifecycle', 'status', '--json'], {cwd: d}),
      )
      expect(st2.channelApprovals).to.deep.equal({[org1.mspId]: true, [org2.mspId]: true})
      const last = steps.at(-1)!
      const ok = await runCli([...last, '--json', ...(last[0] === 'register' ? ['--verbose'] : [])], {cwd: d})
      expect(ok.code, ok.stdout + ok.stderr).to.equal(0)
      const out = json<{committed: boolean; timings?: {step: string}[]}>(ok)
      expect(out.committed).to.equal(true)
      if (out.timings)
        expect(out.timings.map((t) => t.step)).to.include(
          `commit: endorsed through peer ${org1.peerAddress}'s gateway by ${org1.mspId}, ${org2.mspId}`,
        )
      // committed on the channel: Org2's peer sees it too
      const committed = peerCli(f, 1, ['lifecycle', 'chaincode', 'querycommitted', '-C', f.channel, '-n', n])
      expect(committed).to.match(/Sequence: 1/)
    }
  })

  it('at a terminal (a pty from script(1)), draws its progress and ends with the last frame and the summary', async function () {
    if (!hasScript()) {
      console.log('      skipped: no script(1) (util-linux) to run the CLI in a pseudo-terminal')
      this.skip()
    }

    const n = uniqueName()
    const d = tempProject(f, {name: n})
    const r = inTerminal(BIN, ['register'], {
      cwd: d,
      env: {...process.env, FORCE_COLOR: '0', NO_COLOR: '1'},
      timeout: 120_000,
    })
    // what the terminal shows: cursor movements and line erasures dropped, carriage returns as line ends
    const shown = stripVTControlCharacters(r.stdout).replaceAll('\r', '\n')
    expect(r.status, shown).to.equal(0)
    for (const line of [
      `✔ Install and define ${n} on ${f.channel}`,
      '✔ Approve',
      '✔ Commit sequence 1: VALID',
      `registered ${n} sequence 1: installed on 2`,
    ])
      expect(shown).to.contain(line)
    // drawn by the terminal renderer, which moves the cursor up to draw a frame again (CI's renderer only appends)
    expect(r.stdout).to.contain('\u001B[1A')
  })
})

describe('fabk8s invoke/query @integration (chaincode server as a local process)', function () {
  this.timeout(300_000)
  let f: Fabnet
  let dir: string
  let server: undefined | {kill(): void; log(): string}

  before(async function () {
    f = fabnetOrSkip(this)
    kvccDir(this)
    const port = await freePort()
    dir = tempProject(f, {address: `127.0.0.1:${port}`, name: uniqueName()})
    const reg = await runCli(['register', '--json'], {cwd: dir})
    expect(reg.code, reg.stdout + reg.stderr).to.equal(0)
    server = await startKvcc(this, json<RegisterOut>(reg).packageId, port)
  })

  after(() => {
    server?.kill()
  })

  it('invoke Put commits (VALID) and query Get reads it back, through either org', async () => {
    const inv = await runCli(['invoke', 'Put', 'k1', 'hello', '--json'], {cwd: dir})
    expect(inv.code, inv.stdout + inv.stderr + server!.log()).to.equal(0)
    expect(json(inv)).to.include({result: 'hello', validation: 'VALID'})
    const q = await runCli(['query', 'Get', 'k1'], {cwd: dir})
    expect(q.code, q.stderr).to.equal(0)
    expect(q.stdout).to.equal('hello\n')
    const q2 = await runCli(['query', 'Get', 'k1', '--org', 'Org2MSP', '--json'], {cwd: dir})
    expect(json(q2)).to.include({result: 'hello'})
    // a text answer is whole as text: no base64 copy
    expect(json(q2)).to.not.have.property('resultBase64')
    // stdout is the answer alone; that the transaction committed is said on stderr, also when nothing is answered
    const plain = {cwd: dir, env: {...process.env, NO_COLOR: '1'}}
    const put = await runCli(['invoke', 'Put', 'k2', 'x'], plain)
    expect(put.stdout).to.equal('x\n')
    expect(put.stderr).to.match(/^committed VALID \(transaction [\da-f]{64}\)\n$/)
    const del = await runCli(['invoke', 'Del', 'k2'], plain)
    expect(del.code, del.stderr).to.equal(0)
    expect(del.stdout).to.equal('')
    expect(del.stderr).to.match(/^committed VALID \(transaction [\da-f]{64}\)\n$/)
    const empty = await runCli(['query', 'Del', 'k2'], plain)
    expect(empty.stdout).to.equal('')
    expect(empty.stderr).to.equal('the chaincode answered with an empty result\n')
  })

  it('a chaincode error is one line with the chaincode message (exit 9)', async () => {
    const q = await runCli(['query', 'Get', 'missing'], {cwd: dir})
    expect(q.code).to.equal(9)
    expect(q.stderr).to.match(/the chaincode returned an error \(status 500\) at Org1MSP .*: key missing not found/)
    expect(readFileSync(path.join(dir, 'fabk8s.yaml'), 'utf8')).to.contain('127.0.0.1:')
  })

  it("from a fabk8s.yaml with one org of two: the channel's MAJORITY needs the other org's peer, so the gateway gathers the endorsements; the invoke commits VALID, and a chaincode error is still one line", async () => {
    const org2 = f.orgs[1]
    const yaml = readFileSync(path.join(dir, 'fabk8s.yaml'), 'utf8')
    const only1 = mkdtempSync(path.join(tmpdir(), 'fabk8s-lc-'))
    writeFileSync(path.join(only1, 'fabk8s.yaml'), yaml.split(`    - mspId: ${org2.mspId}`)[0])
    const inv = await runCli(['invoke', 'Put', 'k2', 'through-gateway', '--json'], {cwd: only1})
    expect(inv.code, inv.stdout + inv.stderr + server!.log()).to.equal(0)
    expect(json(inv)).to.include({result: 'through-gateway', validation: 'VALID'})
    // both orgs' peers hold it: Org2's peer endorsed the write
    const q = await runCli(['query', 'Get', 'k2', '--org', org2.mspId, '--json'], {cwd: dir})
    expect(json(q)).to.include({result: 'through-gateway'})
    const bad = await runCli(['invoke', 'Get', 'missing'], {cwd: only1})
    expect(bad.code).to.equal(9)
    expect(bad.stderr.split('\n')[0]).to.match(/the chaincode returned an error \(status 500\) .*key missing not found/)
  })

  it('with the chaincode stopped, query and invoke say once that the peers cannot reach it (raw text under --json)', async () => {
    server!.kill()
    const address = /address: (\S+)/.exec(readFileSync(path.join(dir, 'fabk8s.yaml'), 'utf8'))![1]
    const expected = `the peers cannot reach the chaincode at ${address} (connection refused): is it running? \`fabk8s status\`; start it with \`fabk8s up\``
    for (const cmd of ['query', 'invoke']) {
      const r = await runCli([cmd, 'Get', 'k1'], {cwd: dir})
      expect(r.code, r.stderr).to.equal(9)
      expect(r.stderr.split('\n')[0]).to.equal(`Error: ${expected}`)
      expect(r.stderr.match(/cannot reach/g), r.stderr).to.have.length(1)
      expect(r.stderr.length, r.stderr).to.be.below(600)
    }

    const j = await runCli(['query', 'Get', 'k1', '--json'], {cwd: dir})
    const err = json<{error: {detail: {chaincode: string; raw: string}; message: string}}>(j).error
    expect(err.message).to.equal(expected)
    expect(err.detail.chaincode).to.equal('refused')
    expect(err.detail.raw).to.match(/could not launch chaincode .*connect: connection refused/)
  })
})

describe('fabk8s register on a network that has just started, without anchor peers @integration (own fabnet)', function () {
  this.timeout(300_000)
  let own: OwnFabnet | undefined
  let f: Fabnet

  before(async function () {
    // Fabric's gossip defaults (25 s reconnect) and no anchor peers: no peer ever learns of the other org, so the
    // Gateway could never endorse for it; fabk8s asks the peers fabk8s.yaml lists and must not care
    own = await startOwnFabnet(this, {anchorPeers: false, gossipSettle: false})
    f = own.fabnet
  })

  after(() => own?.down())

  it('registers at once: installs, approves for both orgs and commits', async () => {
    const d = tempProject(f, {name: uniqueName()})
    const r = await runCli(['register', '--json'], {cwd: d})
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const out = json<RegisterOut>(r)
    expect(out).to.include({committed: true, sequence: 1})
    expect(out.approved.sort()).to.deep.equal(['Org1MSP', 'Org2MSP'])
    const again = json<RegisterOut>(await runCli(['register', '--json'], {cwd: d}))
    expect(again).to.include({changed: false})
  })

  it('a commit that needs the peer of an org outside fabk8s.yaml: with no anchor peers the gateway cannot find it, and exit 9 says so', async () => {
    const [org1, org2] = f.orgs
    const yaml = networkYaml(f)
    const [head, org2Part] = yaml.split(`    - mspId: ${org2.mspId}`)
    const org1Part = head.slice(head.indexOf(`    - mspId: ${org1.mspId}`))
    const base = head.slice(0, head.indexOf(`    - mspId: ${org1.mspId}`))
    const n = uniqueName()
    const only1 = tempProject(f, {name: n, network: `${base}${org1Part}`})
    const only2 = tempProject(f, {name: n, network: `${base}    - mspId: ${org2.mspId}${org2Part}`})
    for (const d of [only1, only2]) {
      const r = await runCli(['lifecycle', 'approve', '--json'], {cwd: d})
      expect(r.code, r.stdout + r.stderr).to.equal(0)
    }

    const r = await runCli(['lifecycle', 'commit', '--json'], {cwd: only1})
    expect(r.code, r.stdout + r.stderr).to.equal(9)
    const e = json<{error: {hint: string; message: string}}>(r).error
    expect(e.message).to.include(`commit ${n} sequence 1, endorsed by ${org1.mspId}, ${org2.mspId} through its gateway`)
    expect(e.hint).to.match(/anchor peers/)
  })

  it('invoke with a policy that needs both orgs is endorsed by both peers and commits VALID; query reads it', async function () {
    const port = await freePort()
    const d = tempProject(f, {
      address: `127.0.0.1:${port}`,
      extra: `definition:\n  signaturePolicy: "AND('Org1MSP.peer','Org2MSP.peer')"\n`,
      name: uniqueName(),
    })
    const reg = await runCli(['register', '--json'], {cwd: d})
    expect(reg.code, reg.stdout + reg.stderr).to.equal(0)
    const cc = await startKvcc(this, json<RegisterOut>(reg).packageId, port)
    try {
      const inv = await runCli(['invoke', 'Put', 'k1', 'v1', '--json', '--org', 'Org2MSP'], {cwd: d})
      expect(inv.code, inv.stdout + inv.stderr + cc.log()).to.equal(0)
      expect(json(inv)).to.include({result: 'v1', validation: 'VALID'})
      const q = await runCli(['query', 'Get', 'k1'], {cwd: d})
      expect(q.stdout, q.stderr).to.equal('v1\n')
    } finally {
      cc.kill()
    }
  })
})
