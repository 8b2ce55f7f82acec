import {expect} from 'chai'

import {bindParts, classifyBind, withDefaults} from '../../../../src/lib/doctor/model/containers.js'

describe('doctor model: short bind specs (SRC:DST[:MODE])', () => {
  it('splits at the colons outside ${…}, so a variable with a default stays one source', () => {
    expect(bindParts('/var/run/docker.sock:/var/run/docker.sock:ro')).to.deep.equal([
      '/var/run/docker.sock',
      '/var/run/docker.sock',
      'ro',
    ])
    expect(bindParts('${DOCKER_SOCK:-/var/run/docker.sock}:/host/var/run/docker.sock')).to.deep.equal([
      '${DOCKER_SOCK:-/var/run/docker.sock}',
      '/host/var/run/docker.sock',
    ])
    expect(bindParts('${A:-${B:-/c}}:/d:rw')).to.deep.equal(['${A:-${B:-/c}}', '/d', 'rw'])
    expect(bindParts('$HOME/x:/y')).to.deep.equal(['$HOME/x', '/y'])
    expect(bindParts('/data')).to.deep.equal(['/data'])
  })

  it('a source with a default is judged by the default; one without, by the socket file it is mounted as', () => {
    const [source, target] = bindParts('${DOCKER_SOCK:-/var/run/docker.sock}:/host/sock')
    expect(classifyBind(withDefaults(source), target)).to.deep.equal({kind: 'socket', normalized: '/var/run/docker.sock'})
    expect(classifyBind('${SOCK}', '/var/run/docker.sock')).to.deep.equal({kind: 'socket', normalized: '${SOCK}'})
    expect(classifyBind('${DATA}', '/data')).to.equal(null)
  })
})
