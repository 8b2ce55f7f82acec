import {expect} from 'chai'
import {existsSync} from 'node:fs'
import path from 'node:path'

import {outputName, render, templatesDir} from '../../../src/lib/scaffold/templates.js'

describe('scaffold/templates', () => {
  it('replaces variables and leaves other braces alone', () => {
    expect(render('addr: "{{.peername}}-{{name}}:{{port}}"', {name: 'kv', port: 9999})).to.equal(
      'addr: "{{.peername}}-kv:9999"',
    )
  })

  it('keeps or drops sections, with their tag lines', () => {
    const t = 'a\n{{#tls}}\ntls: on\n{{/tls}}\n{{^tls}}\ntls: off\n{{/tls}}\nz\n'
    expect(render(t, {tls: true})).to.equal('a\ntls: on\nz\n')
    expect(render(t, {tls: false})).to.equal('a\ntls: off\nz\n')
  })

  it('keeps or drops a section inside one line, and never writes a section tag out', () => {
    const t = '# a JDK with {{tool}}{{#wrapper}} (the wrapper fetches {{tool}}){{/wrapper}}.\n'
    expect(render(t, {tool: 'Gradle', wrapper: true})).to.equal('# a JDK with Gradle (the wrapper fetches Gradle).\n')
    expect(render(t, {tool: 'Gradle', wrapper: false})).to.equal('# a JDK with Gradle.\n')
    expect(render('a {{^tls}}plain{{/tls}} b', {tls: false})).to.equal('a plain b')
    expect(() => render('a {{#tls}} b\n', {tls: true})).to.throw(/section tag \{\{#tls\}\}/)
    expect(() => render('a {{#tls}} b {{/tcp}}\n', {tcp: true, tls: true})).to.throw(/section tag/)
  })

  it('fails on an unknown variable instead of writing it out', () => {
    expect(() => render('{{nope}}', {})).to.throw(/unknown variable nope/)
  })

  it('maps _dotfiles to .dotfiles', () => {
    expect(outputName('_gitignore')).to.equal('.gitignore')
    expect(outputName('src/_x/y')).to.equal('src/.x/y')
  })

  it('finds templates/ from the package root', () => {
    expect(existsSync(path.join(templatesDir(), 'chaincode', 'typescript', 'Dockerfile'))).to.equal(true)
  })
})
