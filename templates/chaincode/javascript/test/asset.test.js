'use strict'

const assert = require('node:assert/strict')
const {beforeEach, describe, it} = require('node:test')

const {JSONSerializer} = require('fabric-contract-api')

const {AssetContract} = require('../lib/asset')
const {MemoryStub} = require('./memoryStub')

describe('AssetContract', () => {
  let contract
  let stub
  let ctx

  beforeEach(() => {
    contract = new AssetContract()
    stub = new MemoryStub()
    ctx = {stub}
  })

  it('creates and reads an asset', async () => {
    await contract.CreateAsset(ctx, 'a1', 'blue', 'alice')
    assert.deepEqual(JSON.parse(await contract.ReadAsset(ctx, 'a1')), {docType: 'asset', id: 'a1', owner: 'alice', value: 'blue'})
  })

  it('writes the same bytes for the same asset (deterministic endorsements)', async () => {
    await contract.CreateAsset(ctx, 'a1', 'blue', 'alice')
    assert.equal(Buffer.from(stub.state.get("a1")).toString(), '{"docType":"asset","id":"a1","owner":"alice","value":"blue"}')
  })

  it('refuses to create an asset twice', async () => {
    await contract.CreateAsset(ctx, 'a1', 'blue', 'alice')
    await assert.rejects(contract.CreateAsset(ctx, 'a1', 'red', 'bob'), /already exists/)
  })

  it('updates and deletes', async () => {
    await contract.CreateAsset(ctx, 'a1', 'blue', 'alice')
    await contract.UpdateAsset(ctx, 'a1', 'green', 'bob')
    assert.equal(JSON.parse(await contract.ReadAsset(ctx, 'a1')).owner, 'bob')
    await contract.DeleteAsset(ctx, 'a1')
    assert.equal(await contract.AssetExists(ctx, 'a1'), false)
    await assert.rejects(contract.ReadAsset(ctx, 'a1'), /does not exist/)
    await assert.rejects(contract.UpdateAsset(ctx, 'a1', 'x', 'y'), /does not exist/)
    await assert.rejects(contract.DeleteAsset(ctx, 'a1'), /does not exist/)
  })

  it('lists all assets and queries by owner', async () => {
    await contract.CreateAsset(ctx, 'b', '2', 'bob')
    await contract.CreateAsset(ctx, 'a', '1', 'alice')
    await contract.CreateAsset(ctx, 'c', '3', 'alice')
    assert.deepEqual(JSON.parse(await contract.GetAllAssets(ctx)).map((a) => a.id), ['a', 'b', 'c'])
    assert.deepEqual(JSON.parse(await contract.QueryAssetsByOwner(ctx, 'alice')).map((a) => a.id), ['a', 'c'])
  })

  it('returns values fabric-contract-api can serialize (what the peer receives)', async () => {
    const asset = await contract.CreateAsset(ctx, 'a1', 'blue', 'alice')
    const bytes = new JSONSerializer().toBuffer(asset, {})
    assert.deepEqual(JSON.parse(bytes.toString()), {docType: 'asset', id: 'a1', owner: 'alice', value: 'blue'})
  })
})
