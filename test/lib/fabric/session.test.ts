import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {NetworkConfig} from '../../../src/lib/project/schema.js'

import {FabError} from '../../../src/lib/errors.js'
import {FabricSession} from '../../../src/lib/fabric/session.js'

describe('fabric/session', () => {
  let dir: string

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-session-'))
  })

  after(() => rmSync(dir, {force: true, recursive: true}))

  it("a peer's tlsCACert that is missing or not a PEM certificate is a fabk8s.yaml error (exit 3) naming the field", async () => {
    const notPem = path.join(dir, 'hostname')
    writeFileSync(notPem, 'peer0\n')
    for (const [file, re] of [
      [notPem, /^tlsCACert of localhost:7051: .*hostname is not a PEM certificate$/],
      [path.join(dir, 'missing.pem'), /^tlsCACert of localhost:7051: cannot read .*missing\.pem$/],
    ] as const) {
      const peer = {address: 'localhost:7051', tlsCACert: file}
      const network: NetworkConfig = {
        channel: 'mychannel',
        orderer: {address: 'localhost:7050', tlsCACert: file},
        orgs: [{mspId: 'Org1MSP', mspPath: dir, peers: [peer]}],
      }
      const s = new FabricSession(network)
      let e: unknown
      try {
        await s.client(peer)
      } catch (error) {
        e = error
      } finally {
        s.close()
      }

      expect(e).to.be.instanceOf(FabError)
      expect((e as FabError).exitCode).to.equal(3)
      expect((e as FabError).message).to.match(re)
      expect((e as FabError).hint).to.match(/in fabk8s\.yaml/)
    }
  })
})
