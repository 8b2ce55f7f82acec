/**
 * One port-forward stream to a pod, as a Node Duplex: client-node's PortForward (a WebSocket to the API server's
 * pods/portforward, which the kubelet turns into one TCP connection to localhost:<port> inside the pod). Bytes
 * written go to the pod; bytes from the pod come out; `end()` closes the stream (port-forward has no half-close:
 * the dev tunnel carries that in its own frames). An error the kubelet reports on the error channel (nothing
 * listens on the port, the pod is gone) destroys the stream with that message.
 */
import type {KubeConfig} from '@kubernetes/client-node'

import {Duplex, PassThrough, Writable} from 'node:stream'

import {FabError} from '../errors.js'

/** The part of the `ws` WebSocket that PortForward returns and we use. */
interface Socket {
  readonly CLOSED: number
  on(event: 'close', cb: () => void): void
  on(event: 'error', cb: (error: Error) => void): void
  readonly readyState: number
  terminate(): void
}

export interface PortForwardTarget {
  kc: KubeConfig
  namespace: string
  pod: string
  port: number
}

/** Open a stream; rejects when the API server refuses the WebSocket (RBAC, no such pod). */
export async function openPortForward(t: PortForwardTarget): Promise<Duplex> {
  const {PortForward} = await (await import('../kube/lib.js')).kubeLib()
  const input = new PassThrough()
  let ws: Socket | undefined
  let errorText = ''
  const duplex = new Duplex({
    allowHalfOpen: false,
    destroy(error, cb) {
      input.destroy()
      if (ws && ws.readyState !== ws.CLOSED) ws.terminate()
      cb(error)
    },
    final(cb) {
      // flush what was written, then close the WebSocket (a close frame follows the data already sent)
      input.end()
      cb()
    },
    read() {},
    write(chunk: Buffer, _enc, cb) {
      input.write(chunk)
      cb()
    },
  })
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      duplex.push(chunk)
      cb()
    },
  })
  const errors = new Writable({
    write(chunk: Buffer, _enc, cb) {
      errorText += chunk.toString()
      cb()
    },
  })
  try {
    ws = (await new PortForward(t.kc, true).portForward(
      t.namespace,
      t.pod,
      [t.port],
      output,
      errors,
      input,
    )) as unknown as Socket
  } catch (error) {
    throw portForwardError(error, t)
  }

  ws.on('close', () => {
    if (errorText) duplex.destroy(new Error(errorText.trim()))
    else {
      duplex.push(null)
      // both directions are over: a closed WebSocket carries nothing more
      duplex.destroy()
    }
  })
  ws.on('error', (error: Error) => duplex.destroy(error))
  return duplex
}

function portForwardError(error: unknown, t: PortForwardTarget): FabError {
  const e = error as {message?: string; target?: unknown; type?: string}
  const msg = e?.message ?? String(error)
  const code = /Unexpected server response: (\d+)/.exec(msg)?.[1]
  const where = `pod ${t.namespace}/${t.pod} port ${t.port}`
  if (code === '403')
    return new FabError('KUBERNETES', `port-forward to ${where}: forbidden (403)`, {
      hint: `the kubeconfig user needs "create" on pods/portforward in namespace ${t.namespace}`,
    })
  if (code === '404') return new FabError('KUBERNETES', `port-forward to ${where}: the pod is gone (404)`)
  return new FabError('KUBERNETES', `port-forward to ${where}: ${msg}`, {cause: error})
}
