import {expect} from 'chai'

import {stripAnsi} from '../../../src/lib/ui/text.js'

describe('ui/text: stripAnsi', () => {
  it('takes the colour codes out of a docker build log line (seen as "[0m[91m" in a log tail)', () => {
    expect(stripAnsi('\u001B[0m\u001B[91mnpm ERR! code E404\u001B[0m')).to.equal('npm ERR! code E404')
    expect(stripAnsi('#7 \u001B[1;31mERROR\u001B[0m: process did not complete')).to.equal(
      '#7 ERROR: process did not complete',
    )
  })

  it('drops OSC sequences (terminal titles, links) and stray control characters, keeps tabs', () => {
    expect(stripAnsi('\u001B]0;title\u0007a\tb\u0008c\r')).to.equal('a\tbc')
    expect(stripAnsi('\u001B]8;;https://x\u001B\\link\u001B]8;;\u001B\\')).to.equal('link')
  })
})
