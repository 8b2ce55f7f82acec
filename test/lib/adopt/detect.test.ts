import {expect} from 'chai'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {detect, goRequires, toChaincodeName} from '../../../src/lib/adopt/detect.js'

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fabk8s-adopt-detect-'))
  for (const [f, text] of Object.entries(files)) await writeFile(path.join(dir, f), text)
  return dir
}

describe('adopt/detect', () => {
  it('chaincode names from project names', () => {
    expect(toChaincodeName('@acme/Asset_Transfer.JS')).to.equal('asset-transfer-js')
    expect(toChaincodeName('---')).to.equal(undefined)
    expect(toChaincodeName('x'.repeat(80))).to.have.length(53)
  })

  it('go.mod requires, in blocks and on single lines, comments ignored', () => {
    const r = goRequires(
      'module m\n\nrequire github.com/a/b v1.0.0 // indirect\n\nrequire (\n\tgithub.com/hyperledger/fabric-chaincode-go v0.0.0-2023 // pinned\n)\n',
    )
    expect([...r]).to.deep.equal([
      ['github.com/hyperledger/fabric-chaincode-go', 'v0.0.0-2023'],
      ['github.com/a/b', 'v1.0.0'],
    ])
  })

  it('Go v1 modules get the v1 shim; the go directive picks the toolchain image', async () => {
    const dir = await dirWith({
      'go.mod':
        'module github.com/acme/fabcar/v3\n\ngo 1.21\n\nrequire (\n\tgithub.com/hyperledger/fabric-contract-api-go v1.2.2\n\tgithub.com/hyperledger/fabric-chaincode-go v0.0.0-20230731094759-d626e9ab09b9\n)\n',
    })
    expect(await detect(dir)).to.deep.include({
      contractApi: 'github.com/hyperledger/fabric-contract-api-go',
      goVersion: '1.21',
      name: 'fabcar',
      shimImport: 'github.com/hyperledger/fabric-chaincode-go/shim',
      sum: false,
    })
  })

  it('Gradle Kotlin DSL: name from settings.gradle.kts, Java version from the toolchain', async () => {
    const dir = await dirWith({
      'build.gradle.kts':
        'plugins { java }\nversion = "2.0.1"\njava { toolchain { languageVersion.set(JavaLanguageVersion.of(21)) } }\ndependencies { implementation("org.hyperledger.fabric-chaincode-java:fabric-chaincode-shim:2.5.10") }\n',
      'settings.gradle.kts': 'rootProject.name = "Trade_Finance"\n',
    })
    expect(await detect(dir)).to.deep.include({
      build: 'gradle',
      buildFile: 'build.gradle.kts',
      javaVersion: 21,
      language: 'java',
      name: 'trade-finance',
      version: '2.0.1',
      wrapper: false,
    })
  })

  it("Gradle: rootProject.name's default after an environment variable (System.getenv(...) ?: 'basic', as fabric-samples writes it)", async () => {
    for (const [file, line] of [
      ['settings.gradle', "rootProject.name = System.getenv('CHAINCODE_NAME') ?: 'basic'"],
      ['settings.gradle.kts', 'rootProject.name = System.getenv("CHAINCODE_NAME") ?: "basic"'],
    ]) {
      const dir = await dirWith({
        [file]: `/*\n * SPDX-License-Identifier: Apache-2.0\n */\n${line}`,
        [file.replace('settings', 'build')]:
          "dependencies { implementation 'org.hyperledger.fabric-chaincode-java:fabric-chaincode-shim:2.5.10' }\n",
      })
      expect(await detect(dir), file).to.deep.include({build: 'gradle', name: 'basic'})
    }
  })

  it("Maven: the project coordinates, not the parent's or a dependency's; a property version is left to the default", async () => {
    const dir = await dirWith({
      'pom.xml':
        '<project><parent><artifactId>parent-pom</artifactId><version>9</version></parent><artifactId>escrow</artifactId><version>${revision}</version><properties><maven.compiler.target>1.8</maven.compiler.target></properties><dependencies><dependency><artifactId>fabric-chaincode-shim</artifactId><version>2.5.10</version></dependency></dependencies></project>',
    })
    const d = await detect(dir)
    expect(d).to.deep.include({javaVersion: 11, name: 'escrow'})
    expect(d.version).to.equal(undefined)
  })
})
