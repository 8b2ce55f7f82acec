import {expect} from 'chai'

import {parseDuration, secondsSince} from '../../src/lib/duration.js'

describe('duration', () => {
  it('parseDuration takes 90s, 2m, 500ms and plain seconds; rejects the rest naming the flag', () => {
    expect(parseDuration('90s')).to.equal(90_000)
    expect(parseDuration('2m')).to.equal(120_000)
    expect(parseDuration('500ms')).to.equal(500)
    expect(parseDuration('30')).to.equal(30_000)
    expect(() => parseDuration('soon')).to.throw(/--timeout/)
    expect(() => parseDuration('0')).to.throw(/--timeout/)
    expect(() => parseDuration('x', 'FABK8S_REQUEST_TIMEOUT')).to.throw(/^FABK8S_REQUEST_TIMEOUT: "x"/)
  })

  it('parseDuration refuses more than a timer can wait (24.8 days), which would fire at once', () => {
    expect(parseDuration('596h')).to.equal(596 * 3_600_000)
    expect(() => parseDuration('600h', '--timeout')).to.throw(
      '--timeout: "600h" is more than 24 days, the longest a timer can wait',
    )
    expect(() => parseDuration('3000000')).to.throw(/more than 24 days/)
  })

  it('secondsSince keeps at most two decimals (never "27.486354944s")', () => {
    const s = secondsSince(process.hrtime.bigint() - 27_486_354_944n)
    expect(String(s)).to.match(/^27\.\d{1,2}$/)
  })
})
