import {expect} from 'chai'

import {markStartup, Timeline, timelineLines} from '../../src/lib/timeline.js'

describe('timeline: where a run’s time goes', () => {
  it('puts the start-up marks (process.uptime() clock) first, on performance.now()’s clock, before later marks', async () => {
    const t0 = performance.now()
    const early = {cpu: process.cpuUsage(), uptime: process.uptime()}
    const before = performance.now()
    await new Promise((resolve) => {
      setTimeout(resolve, 30)
    })
    markStartup('test: taken earlier', early)
    const t1 = performance.now()
    markStartup('test: now')
    const after = performance.now()
    const tl = new Timeline()
    tl.mark('test: later')
    const m = Object.fromEntries(tl.marks.map((x) => [x.step, x]))
    // each start-up mark sits where it was taken, between the performance.now() readings around it: the two clocks'
    // offset (a few tenths of a ms) is removed; rounding is to 0.1 ms
    expect(m['test: taken earlier'].ms).to.be.within(t0 - 0.06, before + 0.06)
    expect(m['test: now'].ms).to.be.within(t1 - 0.06, after + 0.06)
    expect(t1 - before).to.be.at.least(29)
    expect(m['test: later'].ms).to.be.at.least(m['test: now'].ms)
    expect(tl.marks.at(-1)!.step).to.equal('test: later')
    // CPU time never goes back either
    expect(m['test: now'].cpu).to.be.at.least(m['test: taken earlier'].cpu)
    expect(m['test: later'].cpu).to.be.at.least(m['test: now'].cpu)
    const lines = timelineLines(tl.marks)
    // (a long-running process, e.g. the whole test suite, has ms and CPU wider than their columns)
    expect(lines.at(-1)).to.match(/^ *\d+ ms {2}\(\+ *\d+, cpu *\d+\) {2}test: later$/)
  })
})
