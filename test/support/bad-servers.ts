/**
 * Servers at the Kubernetes API address that are not a working kube-apiserver, for the hang and wrong-server
 * tests: one that accepts TCP connections and never answers (not even the TLS handshake), and a plain HTTP server
 * that answers every request with the same body (an HTML login page, JSON of the wrong shape). The silent one also
 * stands in for a frozen Docker engine, on TCP or on a Unix socket.
 */
import type {AddressInfo, Socket} from 'node:net'

import {writeFileSync} from 'node:fs'
import {createServer as createHttpServer} from 'node:http'
import {createServer} from 'node:net'

export interface BadServer {
  /** Requests (or connections, for the silent server) received so far. */
  readonly hits: number
  /** Write a kubeconfig whose only context points at this server; returns the file. */
  kubeconfig(file: string): string
  stop(): Promise<void>
  url: string
}

function kubeconfigFor(url: string, file: string): string {
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: bad',
      'clusters:',
      `- name: bad`,
      `  cluster: {server: "${url}", insecure-skip-tls-verify: true}`,
      'users:',
      '- name: u',
      '  user: {token: t}',
      'contexts:',
      '- name: bad',
      '  context: {cluster: bad, user: u}',
      '',
    ].join('\n'),
  )
  return file
}

/**
 * Accepts TCP and never sends a byte; https:// in the kubeconfig, so the client waits in the TLS handshake. With
 * `socketPath`, a Unix socket instead (url unix://PATH: a DOCKER_HOST).
 */
export async function silentServer(opts: {socketPath?: string} = {}): Promise<BadServer> {
  const sockets = new Set<Socket>()
  let hits = 0
  const srv = createServer((s) => {
    hits++
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => {
    if (opts.socketPath) srv.listen(opts.socketPath, resolve)
    else srv.listen(0, '127.0.0.1', resolve)
  })
  const url = opts.socketPath ? `unix://${opts.socketPath}` : `https://127.0.0.1:${(srv.address() as AddressInfo).port}`
  return {
    get hits() {
      return hits
    },
    kubeconfig: (file) => kubeconfigFor(url, file),
    async stop() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => {
        srv.close(() => resolve())
      })
    },
    url,
  }
}

/** Answers every request with `status`, `contentType` and `body` (http://, TLS verification off in the kubeconfig). */
export async function answeringServer(status: number, contentType: string, body: string): Promise<BadServer> {
  let hits = 0
  const srv = createHttpServer((req, res) => {
    hits++
    req.resume()
    res.writeHead(status, {'content-type': contentType})
    res.end(body)
  })
  await new Promise<void>((resolve) => {
    srv.listen(0, '127.0.0.1', resolve)
  })
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
  return {
    get hits() {
      return hits
    },
    kubeconfig: (file) => kubeconfigFor(url, file),
    async stop() {
      srv.closeAllConnections()
      await new Promise<void>((resolve) => {
        srv.close(() => resolve())
      })
    },
    url,
  }
}

export const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Sign in · Corporate SSO</title></head><body><form method="post">…</form></body></html>'
