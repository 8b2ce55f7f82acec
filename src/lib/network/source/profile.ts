/**
 * A Fabric common connection profile (JSON or YAML) → ImportedNetwork. Reads what the Fabric SDKs, fabric-samples'
 * test-network (connection-org1.json) and hlf-operator's `kubectl hlf inspect` / network configs write:
 *
 *   organizations.<org>: mspid, peers: [names], adminPrivateKey + signedCert ({pem} | {path}),
 *                        users.<name>: {cert, key} ({pem} | {path}) (hlf-operator; Go SDK)
 *   peers.<name>:        url (grpcs://host:port), tlsCACerts ({pem} | {path}),
 *                        grpcOptions.ssl-target-name-override | hostnameOverride
 *   orderers.<name>:     the same fields as a peer
 *   channels.<name>:     orderers: [names]   (the first channel names the channel)
 *
 * Paths in the profile are relative to the profile's folder. Orgs without peers (an orderer org) are left out.
 */
import path from 'node:path'

import type {ImportedEndpoint, ImportedIdentity, ImportedNetwork, ImportedOrg} from '../model.js'

import {usageError} from '../../errors.js'
import {isObj, LocatedFile} from './located.js'

export interface ProfileOptions {
  /** Which entry of an org's `users` to take: per org (MSP ID or profile org name), or for all (key ''). */
  users?: Record<string, string>
}

/** `grpcs://host:port`, `host:port` → host:port; undefined with a reason otherwise. */
export function parseUrl(url: string): {address?: string; problem?: string} {
  const m = /^(?:(grpcs?):\/\/)?([^\s/:]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(url.trim())
  if (!m) return {problem: `must be grpcs://host:port, got "${url}"`}
  if (m[1] === 'grpc') return {problem: `"${url}" is plain grpc://: fabk8s talks TLS to peers and orderers (grpcs://)`}
  const port = Number(m[3])
  if (port < 1 || port > 65_535) return {problem: `port ${port} out of range in "${url}"`}
  return {address: `${m[2]}:${port}`}
}

async function endpoint(f: LocatedFile, section: 'orderers' | 'peers', name: string): Promise<ImportedEndpoint> {
  const at = [section, name]
  const url = f.str([...at, 'url'], true)!
  const {address, problem} = parseUrl(url)
  if (problem) throw f.fail([...at, 'url'], problem)
  const tlsCA = await f.pem([...at, 'tlsCACerts'], 'cert')
  const override =
    f.str([...at, 'grpcOptions', 'ssl-target-name-override']) ?? f.str([...at, 'grpcOptions', 'hostnameOverride'])
  const host = address!.replace(/:\d+$/, '')
  return {
    address: address!,
    addressFrom: `${f.rel} ${section}.${name}.url`,
    hostnameOverride: override && override !== host ? override : undefined,
    name,
    tlsCA,
  }
}

async function identity(
  f: LocatedFile,
  orgKey: string,
  mspId: string,
  opts: ProfileOptions,
  /** The keys of opts.users an org took its admin by. */
  used: Set<string>,
): Promise<ImportedIdentity | undefined> {
  const at = ['organizations', orgKey]
  const org = f.mapping(at)!
  // Fabric SDK profiles: the org admin's key and certificate
  if (org.adminPrivateKey !== undefined || org.signedCert !== undefined) {
    const key = await f.pem([...at, 'adminPrivateKey'], 'key')
    const cert = await f.pem([...at, 'signedCert'], 'cert')
    return {cert, from: `${f.rel} organizations.${orgKey}.adminPrivateKey/signedCert`, key, kind: 'pem', name: 'admin'}
  }

  // hlf-operator / Go SDK: users.<name>.{cert,key}
  const users = f.mapping([...at, 'users'])
  if (!users || Object.keys(users).length === 0) return undefined
  const names = Object.keys(users)
  const by = [mspId, orgKey, ''].find((k) => opts.users?.[k] !== undefined)
  const wanted = by === undefined ? undefined : opts.users![by]
  if (by !== undefined) used.add(by)
  let name: string | undefined
  if (wanted) {
    if (!names.includes(wanted))
      throw f.fail(
        [...at, 'users'],
        `no user "${wanted}" (--user); the profile has ${names.join(', ')}`,
        'pass --user with one of those names',
      )
    name = wanted
  } else if (names.length === 1) name = names[0]
  else {
    const admins = names.filter((n) => /admin/i.test(n))
    if (admins.length !== 1)
      throw f.fail(
        [...at, 'users'],
        `several users (${names.join(', ')}) and no single admin among them`,
        `choose the org admin with --user ${mspId}=NAME`,
      )
    name = admins[0]
  }

  const key = await f.pem([...at, 'users', name, 'key'], 'key')
  const cert = await f.pem([...at, 'users', name, 'cert'], 'cert')
  return {cert, from: `${f.rel} organizations.${orgKey}.users.${name}`, key, kind: 'pem', name}
}

export async function readProfile(file: string, opts: ProfileOptions = {}): Promise<ImportedNetwork> {
  const f = await LocatedFile.open(file, 'connection profile')
  if (!isObj(f.data))
    throw f.fail(
      [],
      'a connection profile must be a mapping (organizations, peers, orderers)',
      'is this the right file?',
    )
  const notes: string[] = []
  const orgsMap = f.mapping(['organizations'], true)!
  const peersMap = f.mapping(['peers']) ?? {}
  const orgs: ImportedOrg[] = []
  const used = new Set<string>()
  for (const orgKey of Object.keys(orgsMap)) {
    const at = ['organizations', orgKey]
    if (!isObj(orgsMap[orgKey])) throw f.fail(at, 'must be a mapping (mspid, peers, …)')
    const mspId = f.str([...at, 'mspid'], true)!
    const peerNames = f.get([...at, 'peers'])
    if (peerNames !== undefined && peerNames !== null && !Array.isArray(peerNames))
      throw f.fail([...at, 'peers'], 'must be a list of peer names')
    if (!peerNames || peerNames.length === 0) {
      notes.push(`${mspId}: no peers in the profile (an orderer org?), left out`)
      continue
    }

    for (const [i, n] of (peerNames as unknown[]).entries()) {
      if (typeof n !== 'string') throw f.fail([...at, 'peers', i], 'must be a peer name')
      if (!isObj(peersMap[n]))
        throw f.fail([...at, 'peers', i], `peer "${n}" is not in the profile's peers section`, 'add it under peers:')
    }

    const peers: ImportedEndpoint[] = []
    for (const n of peerNames as string[]) peers.push(await endpoint(f, 'peers', n))

    orgs.push({identity: await identity(f, orgKey, mspId, opts, used), mspId, name: orgKey, peers})
  }

  if (orgs.length === 0)
    throw f.fail(['organizations'], 'no organization with peers', 'a profile lists each org with mspid and peers')
  // a --user no org took would otherwise be ignored without a word, and another identity imported
  for (const [k, v] of Object.entries(opts.users ?? {})) {
    if (used.has(k)) continue
    const list = orgs.map((o) => (o.name === o.mspId ? o.mspId : `${o.mspId} (${o.name})`)).join(', ')
    const org = orgs.find((o) => o.mspId === k || o.name === k)
    if (k === '')
      throw usageError(
        `--user ${v}: no org of the profile picks its admin from a users list (${list}); nothing would use it`,
        'an org with adminPrivateKey/signedCert has its admin already; --user [ORG=]NAME chooses among users.<name>',
      )
    if (!org) throw usageError(`--user ${k}=${v}: no org ${k} with peers in the profile (it has ${list})`)
    throw usageError(
      `--user ${k}=${v}: organizations.${org.name} has no users list to choose from (its admin is adminPrivateKey/signedCert)`,
      `leave out --user, or give the admin with --msp-path ${org.mspId}=DIR or --cert/--key`,
    )
  }

  const orderersMap = f.mapping(['orderers']) ?? {}
  const orderers: ImportedEndpoint[] = []
  for (const name of Object.keys(orderersMap)) {
    if (!isObj(orderersMap[name])) throw f.fail(['orderers', name], 'must be a mapping (url, tlsCACerts)')
    orderers.push(await endpoint(f, 'orderers', name))
  }

  const channels = Object.keys(f.mapping(['channels']) ?? {})
  const channel = channels[0]
  if (channels.length > 1) notes.push(`channels: ${channels.join(', ')}; using ${channel} (--channel to choose)`)
  // the channel's own orderer list first
  const chOrderers = channel ? f.get(['channels', channel, 'orderers']) : undefined
  const preferred = Array.isArray(chOrderers) ? orderers.find((o) => o.name === chOrderers[0]) : undefined
  return {
    channel,
    channelFrom: channel ? `${f.rel} channels` : undefined,
    kind: 'profile',
    notes,
    orderer: preferred ?? orderers[0],
    orderers,
    orgs,
    source: path.resolve(file),
  }
}
