import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {ProjectConfig} from '../../../src/lib/project/schema.js'

/**
 * The loaded config of chaincode `golden` 1.0 (no TLS) in a new temporary folder, built by hand (no fabk8s.yaml is
 * read): the package tests pin its bytes and package ID.
 */
export function goldenProject(
  o: {address?: string; dir?: string} = {},
  dir = o.dir ?? mkdtempSync(path.join(tmpdir(), 'fabk8s-pkg-')),
): ProjectConfig {
  return {
    chaincode: {
      address: o.address ?? '{{.peername}}-golden.fabk8s.svc.cluster.local:9999',
      dialTimeout: '10s',
      port: 9999,
      service: {type: 'ClusterIP'},
      tls: {cert: '', clientAuth: false, clientCert: '', clientKey: '', enabled: false, key: '', rootCert: ''},
    },
    definition: {initRequired: false},
    dir,
    file: path.join(dir, 'fabk8s.yaml'),
    image: 'golden:1.0',
    kind: {cluster: 'kind'},
    kubernetes: {namespace: 'fabk8s'},
    label: 'golden_1.0',
    language: 'typescript',
    name: 'golden',
    version: '1.0',
  }
}
