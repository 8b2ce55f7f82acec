import type {DefaultRenderer} from 'listr2'

import {expect} from 'chai'

import type {TaskList} from '../../src/lib/tasks.js'

import {FabError} from '../../src/lib/errors.js'
import {FRAME_MS, framedRenderer, MAX_WAIT_MS, runTasks} from '../../src/render/tasks.js'

/** Run with the simple (CI) renderer (unless `keepCI`: the caller set the scene) and keep what it wrote to stderr. */
async function capture<R>(
  fn: () => Promise<R>,
  o: {keepCI?: boolean} = {},
): Promise<{error?: unknown; result?: R; stderr: string}> {
  const write = process.stderr.write.bind(process.stderr)
  const ci = process.env.CI
  let stderr = ''
  if (!o.keepCI) process.env.CI = 'true'
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString()
    return true
  }) as typeof process.stderr.write
  try {
    return {result: await fn(), stderr}
  } catch (error) {
    return {error, stderr}
  } finally {
    process.stderr.write = write
    if (ci === undefined) delete process.env.CI
    else process.env.CI = ci
  }
}

const list = <R>(l: Partial<TaskList<R>> & Pick<TaskList<R>, 'tasks'>): TaskList<R> => ({
  result: () => undefined as R,
  ...l,
})

describe('render: runTasks', () => {
  it('runs a nested list as the subtasks of a task, which goes on with its result', async () => {
    const order: string[] = []
    const inner = list<number>({
      result: () => 42,
      tasks: [
        {
          async run(t) {
            order.push('inner')
            t.output('inner progress')
            t.title = 'Inner done'
          },
          title: 'Inner',
        },
      ],
    })
    let closed = 0
    inner.close = () => closed++
    const outer = list<string>({
      result: () => order.join(','),
      tasks: [
        {
          async run(t) {
            const n = await t.run(inner)
            order.push(`after ${n}`)
            t.title = `Outer: got ${n}`
          },
          title: 'Outer',
        },
      ],
    })
    const r = await capture(() => runTasks(outer))
    expect(r.error).to.equal(undefined)
    expect(r.result).to.equal('inner,after 42')
    expect(closed).to.equal(1)
    expect(r.stderr).to.match(/Inner done/)
    expect(r.stderr).to.match(/inner progress/)
    expect(r.stderr).to.match(/Outer: got 42/)
    // the subtask is shown while its parent runs, before the parent's final line
    expect(r.stderr.indexOf('Inner done')).to.be.lessThan(r.stderr.indexOf('Outer: got 42'))
  })

  it('gives back the original error of a nested task (hint, exit code), with one line on the task', async () => {
    const failure = new FabError('DOCKER', 'docker build failed (exit 1)\nsecond line', {hint: 'look above'})
    const outer = list({
      tasks: [
        {
          async run(t) {
            await t.run(
              list({
                tasks: [
                  {
                    async run() {
                      throw failure
                    },
                    title: 'Build',
                  },
                ],
              }),
            )
          },
          title: 'Up',
        },
      ],
    })
    const r = await capture(() => runTasks(outer))
    expect(r.error).to.equal(failure)
    expect(r.stderr).to.contain('docker build failed (exit 1)')
    expect(r.stderr).to.not.contain('second line')
  })

  it('says nothing under --json', async () => {
    const r = await capture(() =>
      runTasks(
        list({
          tasks: [
            {
              async run(t) {
                t.output('x')
              },
              title: 'Quiet',
            },
          ],
        }),
        {json: true},
      ),
    )
    expect(r.stderr).to.equal('')
  })

  it('Ctrl-C ends the run at once with ABORTED, saying what state the work was left in', async () => {
    const ac = new AbortController()
    let closed = false
    const hung = list({
      close() {
        closed = true
      },
      interrupted: () => 'the Deployment was applied, rollout not finished',
      tasks: [
        {
          async run() {
            setTimeout(() => ac.abort(), 50)
            await new Promise(() => {}) // never settles, like a request to a server that never answers
          },
          title: 'Wait',
        },
      ],
    })
    const r = await capture(() => runTasks(hung, {name: 'deploy', resume: 'fabk8s deploy', signal: ac.signal}))
    expect(r.error).to.be.instanceOf(FabError)
    expect((r.error as FabError).exitCode).to.equal(130)
    expect((r.error as FabError).message).to.equal(
      'interrupted during deploy: the Deployment was applied, rollout not finished; run `fabk8s deploy` again to resume',
    )
    expect(closed).to.equal(true)
  })

  it('a task left out by enabled() does not run', async () => {
    let ran = false
    await capture(() =>
      runTasks(
        list({
          tasks: [
            {
              enabled: () => false,
              async run() {
                ran = true
              },
              title: 'Off',
            },
          ],
        }),
      ),
    )
    expect(ran).to.equal(false)
  })
})

/** Keep the thread busy for `ms` (no timer can fire meanwhile). */
function busyFor(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // spin
  }
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms)
  })

/** listr2's renderer surface that framedRenderer drives, counting what reaches it. */
class FakeBase {
  ends: unknown[][] = []
  renderedAt: number[] = []
  updates = 0

  end(...args: unknown[]): void {
    this.ends.push(args)
  }

  async render(): Promise<void> {
    this.renderedAt.push(performance.now())
  }

  update(): void {
    this.updates++
  }
}

type Framed = FakeBase & {
  drain(): Promise<void>
  end(...args: unknown[]): void
  render(): Promise<void>
  update(): void
}
const framed = (): Framed => {
  const R = framedRenderer(FakeBase as unknown as typeof DefaultRenderer) as unknown as new () => Framed
  return new R()
}

describe('render: framedRenderer (the terminal renderer, one frame per FRAME_MS)', () => {
  it('starts at its first frame, not when the list starts, and draws the changes of a frame once', async () => {
    const r = framed()
    await r.render()
    for (let i = 0; i < 20; i++) r.update()
    expect(r.renderedAt).to.have.length(0)
    await sleep(FRAME_MS + 60)
    expect(r.renderedAt).to.have.length(1)
    expect(r.updates).to.equal(1)
    for (let i = 0; i < 10; i++) r.update()
    await sleep(FRAME_MS + 60)
    expect(r.updates).to.equal(2)
  })

  it('waits while the event loop is busy, and draws when it has a moment', async () => {
    const r = framed()
    await r.render()
    busyFor(3 * FRAME_MS)
    await sleep(1)
    // the frame was due, but the loop had no moment since the list started
    expect(r.renderedAt).to.have.length(0)
    await sleep(FRAME_MS + 60)
    expect(r.renderedAt).to.have.length(1)
  })

  it('never waits more than MAX_WAIT_MS for a busy loop', async () => {
    const r = framed()
    const start = performance.now()
    await r.render()
    while (performance.now() - start < MAX_WAIT_MS + 3 * FRAME_MS && r.renderedAt.length === 0) {
      busyFor(40)
      await new Promise((resolve) => {
        setImmediate(resolve)
      })
    }

    expect(r.renderedAt).to.have.length(1)
    expect(r.renderedAt[0] - start).to.be.at.least(MAX_WAIT_MS)
  })

  it('a list that ends before the first frame has its last frame drawn by drain()', async () => {
    const r = framed()
    await r.render()
    r.update()
    r.end('the error, if any')
    expect(r.ends).to.have.length(0)
    await r.drain()
    expect(r.renderedAt).to.have.length(1)
    expect(r.ends).to.deep.equal([['the error, if any']])
    await sleep(FRAME_MS + 40)
    expect(r.updates).to.equal(0)
  })

  it('after its start, end() draws the last frame at once and no frame follows', async () => {
    const r = framed()
    await r.render()
    r.update()
    await sleep(FRAME_MS + 60)
    expect(r.updates).to.equal(1)
    r.update()
    r.end()
    expect(r.ends).to.have.length(1)
    await r.drain()
    await sleep(FRAME_MS + 40)
    expect(r.updates).to.equal(1)
    expect(r.ends).to.have.length(1)
  })

  it('at a (fake) terminal, a burst of changes makes a few frames, and the last frame holds the final titles', async () => {
    const isTTY = [process.stdout.isTTY, process.stderr.isTTY]
    const {columns} = process.stderr
    const ci = process.env.CI
    delete process.env.CI
    process.stdout.isTTY = true
    process.stderr.isTTY = true
    process.stderr.columns = 100
    let r: Awaited<ReturnType<typeof capture>> | undefined
    try {
      r = await capture(
        () =>
          runTasks(
            list({
              tasks: [
                {
                  async run(t) {
                    for (let i = 1; i <= 40; i++) {
                      t.title = `step ${i}`
                      await new Promise((resolve) => {
                        setImmediate(resolve)
                      })
                    }
                  },
                  title: 'Burst',
                },
                {
                  async run(t) {
                    await sleep(3 * FRAME_MS)
                    t.title = 'Waited'
                  },
                  title: 'Wait',
                },
              ],
            }),
          ),
        {keepCI: true},
      )
    } finally {
      process.stdout.isTTY = isTTY[0]
      process.stderr.isTTY = isTTY[1]
      process.stderr.columns = columns
      if (ci === undefined) delete process.env.CI
      else process.env.CI = ci
    }

    // listr2's own default renderer drew a frame for each of the 40 titles
    const frames = r.stderr.match(/step \d+/g) ?? []
    expect(frames.length).to.be.at.least(1).and.below(6)
    expect(r.stderr).to.contain('step 40')
    expect(r.stderr).to.contain('Waited')
  })
})
