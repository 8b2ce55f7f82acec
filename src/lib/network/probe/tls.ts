/**
 * A TLS handshake with a peer or orderer, checked the way gRPC will check it (the given CA, the host name or
 * hostnameOverride), but reporting precisely what is wrong: nothing listening, not TLS, a certificate from another
 * CA (naming both), a name the certificate does not carry (listing the names it does), an expired certificate.
 */
import {isIP} from 'node:net'
import {checkServerIdentity, connect, type PeerCertificate} from 'node:tls'

import {certInfo} from '../pem.js'

export interface ProbeStep {
  /** Machine-readable failure kind, e.g. tls-unknown-ca, connection-refused, not-admin. */
  code?: string
  hint?: string
  message: string
  probe: 'admin' | 'channel' | 'deliver' | 'identity' | 'tls'
  status: 'failed' | 'ok' | 'skipped'
}

const UNKNOWN_CA = new Set([
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
])

/** "CN=name", or the whole name when it has no CN (some generated certificates only carry a serial number). */
const dn = (c: PeerCertificate['subject'] | undefined): string => {
  const entries = Object.entries(c ?? {}).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
  const cn = entries.find((e) => e.startsWith('CN='))
  return cn ?? (entries.join(',') || '(empty name)')
}

/** "CN=x" of every certificate in a CA file (a bundle may hold several). */
function caNames(caPem: string): string {
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  return (
    blocks
      .map((b) => {
        try {
          const i = certInfo(b)
          return `CN=${i.cn}${i.isCA ? '' : ' (not a CA certificate)'}`
        } catch {
          return '(unreadable certificate)'
        }
      })
      .join(', ') || '(no certificate)'
  )
}

export function sansOf(cert: PeerCertificate): string[] {
  return (cert.subjectaltname ?? '').split(/,\s*/).flatMap((s) => /^(?:DNS|IP Address):(.+)$/.exec(s)?.[1] ?? [])
}

export function probeTls(opts: {
  address: string
  caFile: string
  caPem: string
  hostnameOverride?: string
  timeoutMs: number
}): Promise<ProbeStep> {
  const {address, caFile, caPem, hostnameOverride, timeoutMs} = opts
  const m = /^(.*):(\d+)$/.exec(address)!
  const host = m[1].replaceAll(/^\[|\]$/g, '')
  const port = Number(m[2])
  const name = hostnameOverride ?? host
  const fail = (code: string, message: string, hint?: string): ProbeStep => ({
    code,
    hint,
    message,
    probe: 'tls',
    status: 'failed',
  })

  const nameMismatch = (cert: PeerCertificate): ProbeStep => {
    const sans = sansOf(cert)
    const subject = dn(cert.subject)
    return fail(
      'tls-name-mismatch',
      `TLS name mismatch: the certificate of ${address} (${subject}) is for ${sans.join(', ') || subject}, not "${name}"${hostnameOverride ? ' (hostnameOverride)' : ''}`,
      sans.length > 0
        ? `set hostnameOverride to one of ${sans.join(', ')}, or dial a name the certificate carries`
        : undefined,
    )
  }

  return new Promise((resolve) => {
    let done = false
    const finish = (step: ProbeStep) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(step)
    }

    const socket = connect({
      ALPNProtocols: ['h2'],
      ca: caPem,
      host,
      port,
      rejectUnauthorized: false,
      servername: isIP(name) ? undefined : name,
    })
    const timer = setTimeout(
      () =>
        finish(
          fail(
            'timeout',
            `no TLS answer from ${address} within ${timeoutMs / 1000} s`,
            'is a firewall dropping the port, or is it the wrong port?',
          ),
        ),
      timeoutMs,
    )
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(true)
      const subject = dn(cert.subject)
      const issuer = dn(cert.issuer)
      if (!socket.authorized) {
        const err = socket.authorizationError as unknown as Error & {code?: string}
        const code = err?.code ?? String(err)
        if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
          finish(nameMismatch(cert))
          return
        }

        if (UNKNOWN_CA.has(code)) {
          finish(
            fail(
              'tls-unknown-ca',
              `wrong TLS CA: the certificate of ${address} (${subject}, issued by ${issuer}) is not signed by ${caFile} (${caNames(caPem)})`,
              `tlsCACert must be the CA that issued ${subject}: ${issuer}, the tlsca certificate of its org`,
            ),
          )
          return
        }

        if (code === 'CERT_HAS_EXPIRED') {
          finish(fail('tls-expired', `the TLS certificate of ${address} (${subject}) expired on ${cert.valid_to}`))
          return
        }

        if (code === 'CERT_NOT_YET_VALID') {
          finish(
            fail(
              'tls-not-yet-valid',
              `the TLS certificate of ${address} (${subject}) is valid only from ${cert.valid_from}`,
              'is the clock of this machine or of the server wrong?',
            ),
          )
          return
        }

        finish(fail('tls-untrusted', `TLS: the certificate of ${address} is not trusted with ${caFile}: ${code}`))
        return
      }

      if (checkServerIdentity(name, cert)) {
        finish(nameMismatch(cert))
        return
      }

      finish({
        message: `${subject} issued by ${issuer}, name "${name}" matches`,
        probe: 'tls',
        status: 'ok',
      })
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? ''
      const first = error.message.split('\n')[0]
      switch (code) {
        case 'EAI_AGAIN':
        case 'ENOTFOUND': {
          finish(fail('dns', `cannot resolve ${host} (${code})`, 'check the host name in the address'))
          break
        }

        case 'ECONNREFUSED': {
          finish(
            fail(
              'connection-refused',
              `nothing listens on ${address} (connection refused)`,
              'is the node running, and is the port right?',
            ),
          )
          break
        }

        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
        case 'ETIMEDOUT': {
          finish(fail('unreachable', `cannot reach ${address} (${code})`))
          break
        }

        default: {
          const notTls =
            code === 'ECONNRESET' || /wrong version number|packet length too long|unexpected eof/i.test(first)
          finish(
            fail(
              'tls-handshake',
              `TLS handshake with ${address} failed (${notTls ? first : code || first})`,
              notTls ? 'is TLS enabled on that port? fabk8s always dials with TLS' : undefined,
            ),
          )
        }
      }
    })
  })
}
