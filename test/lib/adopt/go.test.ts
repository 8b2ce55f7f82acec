import {expect} from 'chai'
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {analyseGo, defaultImportName, parseGoFile, stripComments} from '../../../src/lib/adopt/go.js'

const MOD = 'example.com/cc'
const CAPI = 'github.com/hyperledger/fabric-contract-api-go/v2'
const SHIM = 'github.com/hyperledger/fabric-chaincode-go/v2/shim'

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fabk8s-adopt-go-'))
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), {recursive: true})
    await writeFile(path.join(dir, rel), text)
  }

  return dir
}

const analyse = (dir: string) => analyseGo(dir, {contractApi: CAPI, module: MOD, shimImport: SHIM})

describe('adopt/go', () => {
  it('stripComments blanks comments but keeps strings, offsets and lines', () => {
    const src = 'a := "// not a comment" // gone\n/* x\ny */ b := `/*raw*/`\n'
    const out = stripComments(src)
    expect(out).to.have.length(src.length)
    expect(out.split('\n')).to.have.length(src.split('\n').length)
    expect(out).to.include('"// not a comment"').and.include('`/*raw*/`').and.not.include('gone')
  })

  it('import names: last element, skipping /vN and .vN', () => {
    expect(defaultImportName(`${CAPI}/contractapi`)).to.equal('contractapi')
    expect(defaultImportName('github.com/hyperledger/fabric-chaincode-go/v2')).to.equal('fabric_chaincode_go')
    expect(defaultImportName('gopkg.in/yaml.v3')).to.equal('yaml')
    const f = parseGoFile('main.go', `package main\nimport (\n\tcc "${CAPI}/contractapi"\n\t_ "embed"\n\t"fmt"\n)\n`)
    expect([...f.imports]).to.deep.equal([
      ['cc', `${CAPI}/contractapi`],
      ['fmt', 'fmt'],
    ])
  })

  it('contracts in a sub-package (aliased imports, package name differing from the folder): a new main makes the same chaincode', async () => {
    const dir = await project({
      'cmd/server/main.go': `package main\n\nimport (\n\tapi "${CAPI}/contractapi"\n\t"${MOD}/internal/ledger"\n)\n\n// api.NewChaincode(&Wrong{}) in a comment is ignored\nfunc main() {\n\tcc, err := api.NewChaincode(&assets.Contract{}, new(assets.Audit))\n\tif err != nil {\n\t\tpanic(err)\n\t}\n\tif err := cc.Start(); err != nil {\n\t\tpanic(err)\n\t}\n}\n`,
      'internal/ledger/assets.go': `package assets\n\ntype Contract struct{}\ntype Audit struct{}\n`,
    })
    expect(await analyse(dir)).to.deep.equal({
      args: '&assets.Contract{}, new(assets.Audit)',
      contractapi: 'api',
      imports: [{alias: undefined, path: `${MOD}/internal/ledger`}],
      mainDir: 'cmd/server',
      mode: 'subpackage',
      sourceMain: 'cmd/server/main.go',
    })
  })

  it('contracts in package main: the Start line changes; plain shim.Start too', async () => {
    const contractMain = await project({
      'main.go': `package main\n\nimport "${CAPI}/contractapi"\n\ntype C struct{ contractapi.Contract }\n\nfunc main() {\n\tchaincode, _ := contractapi.NewChaincode(&C{})\n\t_ = chaincode.Start()\n}\n`,
    })
    expect(await analyse(contractMain)).to.deep.equal({
      change: {after: '\t_ = fabk8sStart(chaincode)', before: '\t_ = chaincode.Start()', file: 'main.go', line: 9},
      mainDir: '',
      mode: 'main',
    })
    const shimMain = await project({
      'main.go': `package main\n\nimport (\n\t"fmt"\n\n\t"${SHIM}"\n)\n\nfunc main() {\n\tif err := shim.Start(new(SimpleChaincode)); err != nil {\n\t\tfmt.Println(err)\n\t}\n}\n`,
    })
    expect((await analyse(shimMain)) as unknown).to.deep.include({
      change: {
        after: '\tif err := fabk8sStart(new(SimpleChaincode)); err != nil {',
        before: '\tif err := shim.Start(new(SimpleChaincode)); err != nil {',
        file: 'main.go',
        line: 10,
      },
    })
  })

  it('no main package that starts a chaincode, or several: a usage error naming them', async () => {
    const none = await project({'lib/x.go': 'package lib\n'})
    let e: unknown
    await analyse(none).catch((error: unknown) => (e = error))
    expect(e).to.include({code: 'USAGE'})
    expect(String(e)).to.match(/no main package starts the chaincode/)
    const main = (p: string) => `package main\n\nimport "${SHIM}"\n\nfunc main() { shim.Start(x) }\n// ${p}\n`
    const two = await project({'a/main.go': main('a'), 'b/main.go': main('b'), 'vendor/c/main.go': main('c')})
    e = undefined
    await analyse(two).catch((error: unknown) => (e = error))
    expect(String(e)).to.match(/several main packages start a chaincode: a, b$/)
  })
})
