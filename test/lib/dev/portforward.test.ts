/**
 * The dev tunnel through the Kubernetes API, for real: the relay image (made from this machine's node, loaded
 * with fabk8s's load path) runs as the swapped chaincode Deployment on the test bed's real node, in a namespace
 * that enforces Pod Security "restricted"; port-forward streams through the kube-apiserver and the kubelet reach
 * its loopback tunnel port; a client on this machine dials the pod's chaincode port and talks to a local server.
 */
import type {CoreV1Api} from '@kubernetes/client-node'

import {expect} from 'chai'
import {createHash, randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {KubeClients} from '../../../src/lib/kube/client.js'

import {openPortForward} from '../../../src/lib/dev/portforward.js'
import {ensureRelayImage} from '../../../src/lib/dev/relay/image.js'
import {LABEL_RELAY, tunnelPortFor} from '../../../src/lib/dev/relay/manifest.js'
import {swapIn} from '../../../src/lib/dev/swap.js'
import {connectWithRetry, type PeerClosed, TunnelPool} from '../../../src/lib/dev/tunnel.js'
import {connect} from '../../../src/lib/kube/client.js'
import {waitForRollout} from '../../../src/lib/kube/rollout.js'
import {type BedNode, bedNodeOrSkip, NODE_SELECTOR_ANNOTATION} from '../../support/bed.js'
import {requireDocker, uniq} from '../../support/docker.js'
import {load} from '../../support/tasks.js'
import {makeProject, project} from '../kube/support.js'

describe('dev tunnel through port-forward to a relay pod on the real node @integration', function () {
  this.timeout(300_000)
  let bed: BedNode
  let c: KubeClients
  let core: CoreV1Api
  let namespace: string
  let podIp: string
  let pod: string
  let dir: string
  const PORT = 9999

  before(async function () {
    await requireDocker(this)
    bed = bedNodeOrSkip(this)
    namespace = `ns-devpf-${uniq()}`
    dir = mkdtempSync(path.join(tmpdir(), 'fabk8s-devpf-'))
    makeProject(dir, {name: 'relaytest', namespace})
    const p = await project(dir)
    c = await connect({kubeconfig: bed.kubeconfig, namespace})
    core = c.core
    await core.createNamespace({
      body: {
        metadata: {
          annotations: {[NODE_SELECTOR_ANNOTATION]: bed.selector},
          labels: {'pod-security.kubernetes.io/enforce': 'restricted'},
          name: namespace,
        },
      },
    })
    const {image} = await ensureRelayImage()
    await load({cluster: bed.cluster, image, json: true})
    await swapIn(c, p, {image, namespace, packageId: 'relaytest_1:00', session: 'pf-test'})
    await waitForRollout(c, {image, name: p.name, namespace, packageId: 'relaytest_1:00', timeoutMs: 120_000})
    const pods = await core.listNamespacedPod({labelSelector: `${LABEL_RELAY}=true`, namespace})
    const running = pods.items.find((x) => x.status?.phase === 'Running' && !x.metadata?.deletionTimestamp)!
    expect(running.spec?.nodeName, 'on the real node').to.equal(bed.nodeName)
    pod = running.metadata!.name!
    podIp = running.status!.podIP!
  })

  after(async () => {
    await core?.deleteNamespace({name: namespace}).catch(() => {})
    if (dir) rmSync(dir, {force: true, recursive: true})
  })

  async function withPool(local: net.Server, fn: (closed: PeerClosed[]) => Promise<void>): Promise<void> {
    const localPort = await new Promise<number>((resolve) => {
      local.listen(0, '127.0.0.1', () => resolve((local.address() as net.AddressInfo).port))
    })
    const closed: PeerClosed[] = []
    const pool = new TunnelPool({
      connectLocal: () => connectWithRetry(localPort, {waitMs: 2000}),
      onPeerClosed: (x) => closed.push(x),
      open: () => openPortForward({kc: c.kc, namespace, pod, port: tunnelPortFor(PORT)}),
    })
    pool.start()
    try {
      await fn(closed)
    } finally {
      await pool.stop()
      local.close()
    }
  }

  function exchange(data: Buffer | string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({allowHalfOpen: true, host: podIp, port: PORT}, () => s.end(data))
      const got: Buffer[] = []
      s.on('data', (d) => got.push(d))
      s.on('end', () => resolve(Buffer.concat(got)))
      s.on('error', reject)
    })
  }

  it('a connection to the pod reaches a server on this machine; half-close and 4 MiB each way survive the trip', async () => {
    const download = randomBytes(4 * 1024 * 1024)
    const local = net.createServer({allowHalfOpen: true}, (s) => {
      s.on('error', () => {})
      const h = createHash('sha256')
      s.on('data', (d) => h.update(d))
      s.on('end', () => s.end(Buffer.concat([Buffer.from(h.digest('hex')), download])))
    })
    await withPool(local, async (closed) => {
      const upload = randomBytes(4 * 1024 * 1024)
      const got = await exchange(upload)
      expect(got.subarray(0, 64).toString()).to.equal(createHash('sha256').update(upload).digest('hex'))
      expect(createHash('sha256').update(got.subarray(64)).digest('hex')).to.equal(
        createHash('sha256').update(download).digest('hex'),
      )
      for (let i = 0; i < 100 && closed.length === 0; i++) await new Promise((r) => setTimeout(r, 50))
      expect(closed[0]?.reason).to.equal('closed')
      // the peer address the relay saw: this machine, as the pod sees it
      expect(closed[0]?.peer).to.match(/^[\d.]+:\d+$/)
    })
  })

  it('several connections at once, each on its own stream', async () => {
    const local = net.createServer({allowHalfOpen: true}, (s) => {
      s.on('error', () => {})
      let text = ''
      s.on('data', (d) => (text += d))
      s.on('end', () => s.end(text.toUpperCase()))
    })
    await withPool(local, async () => {
      const answers = await Promise.all(Array.from({length: 8}, (_, i) => exchange(`call ${i}`)))
      expect(answers.map(String)).to.deep.equal(Array.from({length: 8}, (_, i) => `CALL ${i}`))
    })
  })

  it('a stream to a port nothing listens on ends with the kubelet’s error', async () => {
    const s = await openPortForward({kc: c.kc, namespace, pod, port: 1})
    const err = await new Promise<Error | null>((resolve) => {
      s.on('error', resolve)
      s.on('close', () => resolve(null))
      s.resume()
    })
    expect(err?.message).to.match(/port 1|connect|refused/i)
  })

  it('a pod that does not exist: one clear error', async () => {
    const err = await openPortForward({kc: c.kc, namespace, pod: 'no-such-pod', port: 7901}).catch(
      (error: Error) => error,
    )
    expect(String(err)).to.match(/port-forward to pod .*no-such-pod/)
  })
})
