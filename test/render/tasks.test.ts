import {expect} from 'chai'

import type {TaskList} from '../../src/lib/tasks.js'

import {FabError} from '../../src/lib/errors.js'
import {runTasks} from '../../src/render/tasks.js'

/** Run with the simple (CI) renderer and keep what it wrote to stderr. */
async function capture<R>(fn: () => Promise<R>): Promise<{error?: unknown; result?: R; stderr: string}> {
  const write = process.stderr.write.bind(process.stderr)
  const ci = process.env.CI
  let stderr = ''
  process.env.CI = 'true'
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
