/**
 * watchTree: the saves `fabk8s dev` reacts to. Editors and tools that save by writing a new file and renaming it over
 * the old one (sed -i, vim's default backupcopy, JetBrains' safe write) must be seen on every save, not only the
 * first: Node 20's recursive fs.watch on Linux follows each file's inode and loses a file once it is replaced.
 */
import {expect} from 'chai'
import {appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {type Watcher, watchTree} from '../../../src/lib/dev/local/watch.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('dev watchTree', () => {
  let dir: string
  let watcher: undefined | Watcher
  let changes: string[][]

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-watch-'))
    mkdirSync(path.join(dir, 'chaincode'))
    mkdirSync(path.join(dir, 'node_modules', 'x'), {recursive: true})
    writeFileSync(path.join(dir, 'chaincode', 'asset.go'), 'package chaincode\n')
    changes = []
    watcher = watchTree(dir, {debounceMs: 50, include: (rel) => rel.endsWith('.go'), onChange: (f) => changes.push(f)})
    await sleep(100)
  })

  afterEach(() => {
    watcher?.close()
    rmSync(dir, {force: true, recursive: true})
  })

  /** Do one save, then wait for the watcher's report of it. */
  async function save(fn: () => void): Promise<string[]> {
    const before = changes.length
    fn()
    for (let i = 0; i < 40 && changes.length === before; i++) await sleep(25)
    await sleep(100)
    return changes.slice(before).flat()
  }

  const replace = (rel: string, text: string) => {
    const tmp = path.join(dir, path.dirname(rel), `.tmp-${Math.random().toString(36).slice(2)}`)
    writeFileSync(tmp, text)
    renameSync(tmp, path.join(dir, rel))
  }

  it('sees every save of a file replaced by rename, and in-place writes after it', async () => {
    expect(await save(() => replace('chaincode/asset.go', 'package chaincode // 1\n'))).to.include('chaincode/asset.go')
    expect(await save(() => replace('chaincode/asset.go', 'package chaincode // 2\n'))).to.include('chaincode/asset.go')
    expect(await save(() => appendFileSync(path.join(dir, 'chaincode', 'asset.go'), '// 3\n'))).to.include(
      'chaincode/asset.go',
    )
  })

  it('sees files in a folder made after it started, and leaves out node_modules', async () => {
    expect(
      await save(() => {
        mkdirSync(path.join(dir, 'chaincode', 'util'))
        writeFileSync(path.join(dir, 'chaincode', 'util', 'util.go'), 'package util\n')
      }),
    ).to.include('chaincode/util/util.go')
    expect(await save(() => replace('chaincode/util/util.go', 'package util // 1\n'))).to.include(
      'chaincode/util/util.go',
    )
    expect(await save(() => writeFileSync(path.join(dir, 'node_modules', 'x', 'x.go'), 'package x\n'))).to.deep.equal(
      [],
    )
  })

  it('goes on after a watched folder is removed', async () => {
    mkdirSync(path.join(dir, 'gone'))
    await sleep(100)
    rmSync(path.join(dir, 'gone'), {recursive: true})
    await sleep(100)
    expect(await save(() => replace('chaincode/asset.go', 'package chaincode // 4\n'))).to.include('chaincode/asset.go')
  })
})
