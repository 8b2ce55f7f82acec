import ledgerPb from '@hyperledger/fabric-protos/lib/common/ledger_pb.js'
import {expect} from 'chai'

import {fabnetOrSkip, offlineProject, peerCli, tempProject, uniqueName} from '../lib/fabric/fabnet.js'
import {json, runCli} from '../support/cli.js'

describe('fabk8s invoke (Fabric network)', function () {
  this.timeout(120_000)

  it('a committed signature policy that names an org outside the channel: not sent (it could only commit INVALID), exit 9 says why', async function () {
    const f = fabnetOrSkip(this)
    const name = uniqueName()
    // no chaincode server is needed: nothing reaches the chaincode
    const dir = tempProject(f, {name})
    // fabk8s refuses to send such a definition (register, lifecycle approve/commit): the peer CLI commits it, as
    // another tool or company may have
    const policy = ['--signature-policy', "OR('Org9MSP.peer')"]
    const common = ['-o', f.ordererAddress, '--tls', '--cafile', f.ordererCA, '-C', f.channel, '-n', name, '-v', '1.0']
    for (const org of [0, 1] as const)
      peerCli(f, org, ['lifecycle', 'chaincode', 'approveformyorg', ...common, '--sequence', '1', ...policy])
    const peers = f.orgs.flatMap((o) => ['--peerAddresses', o.peerAddress, '--tlsRootCertFiles', o.peerCA])
    peerCli(f, 0, ['lifecycle', 'chaincode', 'commit', ...common, '--sequence', '1', ...policy, ...peers])
    const r = await runCli(['invoke', 'Put', 'k', 'v', '--json'], {cwd: dir})
    expect(r.code, r.stdout + r.stderr).to.equal(9)
    const {error} = json<{error: {detail: {policy: string}; hint: string; message: string}}>(r)
    expect(error.message).to.equal(
      `invoke ${name} not sent: its endorsement policy OR('Org9MSP.peer') (sequence 1) cannot be satisfied by a peer of each of channel ${f.channel}'s orgs (Org1MSP, Org2MSP): Org9MSP is not an org of the channel; the transaction could only commit INVALID (ENDORSEMENT_POLICY_FAILURE)`,
    )
    expect(error.detail.policy).to.equal("OR('Org9MSP.peer')")
    expect(error.hint).to.match(/--signature-policy/)
  })
})

describe('fabk8s query: an answer that is not UTF-8 text (Fabric network)', function () {
  this.timeout(60_000)

  it('--json keeps its bytes whole as resultBase64 (qscc GetChainInfo: a BlockchainInfo protobuf); a text answer has none', async function () {
    const f = fabnetOrSkip(this)
    const dir = tempProject(f, {name: uniqueName()})
    const r = await runCli(['query', '-c', 'qscc', 'GetChainInfo', f.channel, '--json'], {cwd: dir})
    expect(r.code, r.stdout + r.stderr).to.equal(0)
    const out = json<{result: string; resultBase64?: string}>(r)
    expect(out.resultBase64, 'resultBase64').to.be.a('string')
    const bytes = Buffer.from(out.resultBase64!, 'base64')
    const info = ledgerPb.BlockchainInfo.deserializeBinary(bytes)
    expect(info.getHeight()).to.be.greaterThan(0)
    expect(info.getCurrentblockhash_asU8().length).to.equal(32)
    // the text is the same bytes decoded as UTF-8, lossy where they are not
    expect(out.result).to.equal(bytes.toString('utf8'))
    const text = await runCli(['query', '-c', 'qscc', 'GetChainInfo', f.channel], {cwd: dir})
    expect(text.code).to.equal(0)
  })
})

describe('fabk8s invoke and query: -c/--chaincode', () => {
  const dir = offlineProject()
  for (const cmd of ['invoke', 'query'])
    for (const name of ['Bad Name', 'cc/1', 'cc-', 'a__b'])
      it(`${cmd} -c ${JSON.stringify(name)}: exit 2 naming the flag, before any connection (not "channel does not exist")`, async () => {
        const r = await runCli([cmd, '-c', name, 'Get', 'k', '--json'], {cwd: dir})
        expect(r.code, r.stdout + r.stderr).to.equal(2)
        expect(json<{error: {message: string}}>(r).error.message).to.equal(
          `-c/--chaincode: ${JSON.stringify(name)} is not a chaincode name (letters and digits, single - or _ between them)`,
        )
      })
})
