/**
 * Whether a dev session a relay's annotation names still runs: asked of the process on this host (a pid used again
 * by a later process is not the session), never guessed for another host.
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import os from 'node:os'

import {sessionState} from '../../../src/lib/dev/guard.js'

describe('dev guard: is the session a relay names still running', () => {
  const host = os.hostname()
  const now = new Date().toISOString()

  it('a process of this host that runs: running', () => {
    expect(sessionState(`me@${host} pid ${process.pid} since ${now}`)).to.equal('running')
  })

  it('a process of this host that has exited: gone', () => {
    const {pid} = spawnSync(process.execPath, ['-e', ''])
    expect(sessionState(`me@${host} pid ${pid} since ${now}`)).to.equal('gone')
  })

  it('a pid whose process started after the session did (the pid was used again): gone', function () {
    if (process.platform !== 'linux') this.skip()
    expect(sessionState(`me@${host} pid ${process.pid} since 2001-01-01T00:00:00.000Z`)).to.equal('gone')
  })

  it('another host, or a name that is not a session: elsewhere (cannot be asked)', () => {
    expect(sessionState(`me@not-${host} pid ${process.pid} since ${now}`)).to.equal('elsewhere')
    expect(sessionState('dead pid 2')).to.equal('elsewhere')
  })
})
