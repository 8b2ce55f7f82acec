/**
 * Flags that fill in or change what a source gave: the orderer, addresses, MSP IDs, admin identities, the channel,
 * which orgs to keep. Then `requireComplete` says, naming the flag, what is still missing.
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import type {ImportedEndpoint, ImportedNetwork, ImportedOrg} from './model.js'

import {FabError, usageError} from '../errors.js'
import {certProblem, keyProblem} from './pem.js'
import {isMspDir} from './source/organizations.js'
import {parseUrl} from './source/profile.js'

export interface Overrides {
  /** NAME=HOST:PORT: the address of a peer or orderer by its source name. */
  address?: string[]
  /** ORG=FILE (with key): an admin certificate. */
  cert?: string[]
  channel?: string
  /** ORG=FILE (with cert): the admin's private key. */
  key?: string[]
  /** NAME=ID: the MSP ID of an org (by its source name). */
  mspId?: string[]
  /** ORG=DIR: the admin's MSP folder. */
  mspPath?: string[]
  /** NAME (an orderer of the source) or HOST:PORT. */
  orderer?: string
  ordererHostname?: string
  ordererTlsCA?: string
  /** Keep only these orgs (MSP ID or source name). */
  org?: string[]
}

/** "K=V" → [K, V]; "V" alone → ['', V]. K never holds '/', so a path with '=' in it stays a value. */
export function splitAssign(flag: string, v: string): [string, string] {
  const m = /^([^=/]+)=(.*)$/.exec(v)
  if (!m) return ['', v]
  if (m[2] === '') throw usageError(`--${flag} ${v}: nothing after "="`)
  return [m[1], m[2]]
}

function findOrg(net: ImportedNetwork, flag: string, key: string, value: string): ImportedOrg {
  const list = net.orgs.map((o) => (o.name === o.mspId ? o.mspId : `${o.mspId} (${o.name})`)).join(', ')
  if (key === '') {
    if (net.orgs.length === 1) return net.orgs[0]
    throw usageError(`--${flag} ${value}: several orgs (${list}); write --${flag} ORG=${value}`)
  }

  const org = net.orgs.find((o) => o.mspId === key || o.name === key)
  if (!org)
    throw usageError(`--${flag} ${flag === 'org' ? key : `${key}=…`}: no org ${key} in the source (it has ${list})`)
  return org
}

function fileArg(flag: string, file: string, kind: 'cert' | 'key'): string {
  const abs = path.resolve(file)
  let text: string
  try {
    text = readFileSync(abs, 'utf8')
  } catch (error) {
    throw usageError(`--${flag} ${file}: cannot read (${(error as NodeJS.ErrnoException).code})`)
  }

  const problem = kind === 'cert' ? certProblem(text) : keyProblem(text)
  if (problem) throw usageError(`--${flag} ${file}: ${problem}`)
  return abs
}

function endpoints(net: ImportedNetwork): ImportedEndpoint[] {
  return [...net.orgs.flatMap((o) => o.peers), ...net.orderers]
}

function checkAddress(flag: string, value: string): string {
  const {address, problem} = parseUrl(value)
  if (problem)
    throw usageError(`--${flag} ${value}: ${problem.replace(/^must be grpcs:\/\/host:port/, 'must be HOST:PORT')}`)
  return address!
}

/** --address NAME=HOST:PORT: the address of the peer or orderer the source calls NAME. */
function overrideAddress(net: ImportedNetwork, v: string): void {
  const [name, value] = splitAssign('address', v)
  const names = endpoints(net)
    .map((x) => x.name)
    .join(', ')
  if (name === '') throw usageError(`--address ${v}: expected NAME=HOST:PORT, the name of a peer or orderer (${names})`)
  const e = endpoints(net).find((x) => x.name === name)
  if (!e) throw usageError(`--address ${v}: no peer or orderer named "${name}" (known: ${names})`)
  e.address = checkAddress('address', value)
  e.addressFrom = '--address'
}

/** --orderer HOST:PORT; a value without a port is a name the source does not have (the flag takes either). */
function ordererAddress(net: ImportedNetwork, value: string): string {
  if (!/:\d+\/?$/.test(value.trim())) {
    const names = net.orderers.map((x) => x.name).join(', ')
    throw usageError(
      `--orderer ${value}: no orderer of that name in the source (${names ? `it has ${names}` : 'it names none'}), and not HOST:PORT`,
    )
  }

  return checkAddress('orderer', value)
}

export function applyOverrides(net: ImportedNetwork, o: Overrides): ImportedNetwork {
  for (const v of o.mspId ?? []) {
    const [k, id] = splitAssign('msp-id', v)
    findOrg(net, 'msp-id', k, id).mspId = id
  }

  if (o.org?.length) {
    for (const k of o.org) findOrg(net, 'org', k, k)
    net.orgs = net.orgs.filter((x) => o.org!.includes(x.mspId) || o.org!.includes(x.name))
  }

  for (const v of o.address ?? []) overrideAddress(net, v)

  if (o.orderer) {
    const byName = net.orderers.find((x) => x.name === o.orderer)
    if (byName) net.orderer = byName
    else {
      const address = ordererAddress(net, o.orderer)
      const byAddress = net.orderers.find((x) => x.address === address)
      if (byAddress) net.orderer = byAddress
      else if (net.orderer) net.orderer = {...net.orderer, address, addressFrom: '--orderer'}
      else {
        if (!o.ordererTlsCA)
          throw usageError(`--orderer ${o.orderer}: the source has no orderer, so --orderer-tls-ca FILE is needed too`)
        net.orderer = {address, addressFrom: '--orderer', name: address.replace(/:\d+$/, ''), tlsCA: {file: ''}}
      }
    }
  }

  if (o.ordererTlsCA) {
    if (!net.orderer) throw usageError('--orderer-tls-ca: give the orderer too (--orderer HOST:PORT)')
    net.orderer = {...net.orderer, tlsCA: {file: fileArg('orderer-tls-ca', o.ordererTlsCA, 'cert')}}
  }

  if (o.ordererHostname) {
    if (!net.orderer) throw usageError('--orderer-hostname: give the orderer too (--orderer HOST:PORT)')
    net.orderer = {...net.orderer, hostnameOverride: o.ordererHostname}
  }

  for (const v of o.mspPath ?? []) {
    const [k, dir] = splitAssign('msp-path', v)
    const org = findOrg(net, 'msp-path', k, dir)
    const abs = path.resolve(dir)
    if (!existsSync(abs)) throw usageError(`--msp-path ${v}: no folder ${abs}`)
    if (!isMspDir(abs))
      throw usageError(`--msp-path ${v}: ${abs} has no signcerts/ and keystore/`, 'give the MSP folder itself (…/msp)')
    org.identity = {from: '--msp-path', kind: 'msp', mspPath: abs}
  }

  const certs = new Map<ImportedOrg, string>()
  const keys = new Map<ImportedOrg, string>()
  for (const v of o.cert ?? []) {
    const [k, file] = splitAssign('cert', v)
    certs.set(findOrg(net, 'cert', k, file), fileArg('cert', file, 'cert'))
  }

  for (const v of o.key ?? []) {
    const [k, file] = splitAssign('key', v)
    keys.set(findOrg(net, 'key', k, file), fileArg('key', file, 'key'))
  }

  for (const org of new Set([...certs.keys(), ...keys.keys()])) {
    const cert = certs.get(org)
    const key = keys.get(org)
    if (!cert || !key) throw usageError(`${org.mspId}: give --cert and --key together (one was missing)`)
    org.identity = {cert: {file: cert}, from: '--cert/--key', key: {file: key}, kind: 'pem', name: 'admin'}
  }

  if (o.channel) {
    net.channel = o.channel
    net.channelFrom = '--channel'
  }

  return net
}

/** Everything the network section needs is there, or one error naming the flag that supplies it. */
export function requireComplete(net: ImportedNetwork): void {
  if (net.orgs.length === 0) throw usageError('no orgs left to import (check --org)')
  if (!net.orderer)
    throw new FabError('USAGE', `${net.source}: names no orderer`, {
      hint: 'give it: --orderer HOST:PORT --orderer-tls-ca FILE',
    })
  if (!net.orderer.address)
    throw usageError(
      `orderer ${net.orderer.name}: no address known (not one of test-network's)`,
      `give it: --orderer HOST:PORT or --address ${net.orderer.name}=HOST:PORT`,
    )
  for (const org of net.orgs) {
    for (const p of org.peers)
      if (!p.address)
        throw usageError(
          `peer ${p.name} of ${org.mspId}: no address known (no connection profile next to it, not one of test-network's)`,
          `give it: --address ${p.name}=HOST:PORT`,
        )
    if (!org.identity)
      throw usageError(
        `${org.mspId}: no admin identity in the source`,
        `give one: --msp-path ${org.mspId}=DIR (an MSP folder) or --cert ${org.mspId}=FILE --key ${org.mspId}=FILE; or leave the org out with --org`,
      )
  }
}
