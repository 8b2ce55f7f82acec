/** Loopback helpers for tests that start servers: a free port, and waiting until something listens on one. */
import net from 'node:net'

/** A TCP port nothing listens on right now (the kernel's pick on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1')
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => resolve(false))
  })
}

/**
 * Resolves when 127.0.0.1:port accepts TCP connections. `alive` is asked between tries: when it answers false
 * (the server process or container has gone), this rejects at once with `why()` in the message.
 */
export async function waitForPort(
  port: number,
  opts: {alive?: () => boolean | Promise<boolean>; tries?: number; why?: () => Promise<string> | string} = {},
): Promise<void> {
  for (let i = 0; i < (opts.tries ?? 1200); i++) {
    if (await accepts(port)) return
    if (opts.alive && !(await opts.alive()))
      throw new Error(`the server stopped before it listened on ${port}:\n${(await opts.why?.()) ?? ''}`)
    await new Promise((r) => setTimeout(r, 250))
  }

  throw new Error(`nothing listened on ${port}:\n${(await opts.why?.()) ?? ''}`)
}
