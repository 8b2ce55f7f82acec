/**
 * A Go toolchain base image made from this machine's Go (no registry is reachable): the Node base image (a shell,
 * the CA bundle, users) plus GOROOT copied whole, without its tests and docs. Tagged by the Go version and the
 * base, `fabk8s-test/go-base:<hash>`, so reruns reuse it. Builds that `FROM ${BASE_IMAGE}` can `go mod download`
 * through the module proxy and `go build`; GOTOOLCHAIN=local, so go never fetches another toolchain.
 */
import {execFile, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {dockerCmd, nodeBaseImage} from './docker.js'

const pexec = promisify(execFile)

export async function goToolchainImage(): Promise<string> {
  const {stdout} = await pexec('go', ['env', 'GOROOT', 'GOVERSION'])
  const [goroot, version] = stdout.trim().split('\n')
  const base = await nodeBaseImage()
  const tag = `fabk8s-test/go-base:${createHash('sha256').update(`1 ${goroot} ${version} ${base}`).digest('hex').slice(0, 16)}`
  if ((await dockerCmd(['image', 'inspect', tag])).code === 0) return tag

  const ctx = await mkdtemp(path.join(os.tmpdir(), 'fabk8s-go-base-'))
  try {
    await writeFile(
      path.join(ctx, 'Dockerfile'),
      [
        `FROM ${base}`,
        'COPY go /usr/local/go',
        'ENV PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin GOROOT=/usr/local/go GOPATH=/go GOTOOLCHAIN=local \\',
        '    GOFLAGS=-buildvcs=false HOME=/root',
        'RUN mkdir -p /go /root && go version',
        '',
      ].join('\n'),
    )
    // the build context as one tar stream: the Dockerfile, and GOROOT as go/
    const name = path.basename(goroot)
    const tarArgs = ['-cf', '-', '-C', ctx, 'Dockerfile', '-C', path.dirname(goroot)]
    for (const skip of ['test', 'doc', 'api', 'misc']) tarArgs.push(`--exclude=${name}/${skip}`)
    tarArgs.push(`--transform=s,^${name},go,`, name)
    await new Promise<void>((resolve, reject) => {
      const tar = spawn('tar', tarArgs, {stdio: ['ignore', 'pipe', 'pipe']})
      const build = spawn('docker', ['build', '-q', '-t', tag, '-'], {stdio: ['pipe', 'pipe', 'pipe']})
      let err = ''
      tar.stderr.on('data', (d) => (err += d))
      build.stderr.on('data', (d) => (err += d))
      build.stdout.resume()
      build.stdin.on('error', () => {})
      tar.stdout.pipe(build.stdin)
      build.on('error', reject)
      build.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`go base image build failed: ${err.trim()}`)),
      )
    })
    return tag
  } finally {
    await rm(ctx, {force: true, recursive: true})
  }
}
