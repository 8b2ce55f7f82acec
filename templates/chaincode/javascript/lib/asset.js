'use strict'

const {Contract} = require('fabric-contract-api')

/** Keys sorted, so every peer writes the same bytes (endorsements must match). */
function toBytes(asset) {
  return Buffer.from(JSON.stringify(asset, Object.keys(asset).sort()))
}

async function collect(iterator) {
  const out = []
  try {
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      if (r.value) out.push(JSON.parse(Buffer.from(r.value.value).toString('utf8')))
    }
  } finally {
    await iterator.close()
  }
  return out
}

/** A small key-value asset store. */
class AssetContract extends Contract {
  constructor() {
    super('AssetContract')
  }

  async CreateAsset(ctx, id, value, owner) {
    if (await this.AssetExists(ctx, id)) throw new Error(`asset ${id} already exists`)
    const asset = {docType: 'asset', id, owner, value}
    await ctx.stub.putState(id, toBytes(asset))
    return asset
  }

  async ReadAsset(ctx, id) {
    const data = await ctx.stub.getState(id)
    if (!data || data.length === 0) throw new Error(`asset ${id} does not exist`)
    return Buffer.from(data).toString('utf8')
  }

  async UpdateAsset(ctx, id, value, owner) {
    if (!(await this.AssetExists(ctx, id))) throw new Error(`asset ${id} does not exist`)
    const asset = {docType: 'asset', id, owner, value}
    await ctx.stub.putState(id, toBytes(asset))
    return asset
  }

  async DeleteAsset(ctx, id) {
    if (!(await this.AssetExists(ctx, id))) throw new Error(`asset ${id} does not exist`)
    await ctx.stub.deleteState(id)
  }

  async AssetExists(ctx, id) {
    const data = await ctx.stub.getState(id)
    return Boolean(data && data.length > 0)
  }

  /** All assets, by key range (works on LevelDB and CouchDB). */
  async GetAllAssets(ctx) {
    return JSON.stringify(await collect(await ctx.stub.getStateByRange('', '')))
  }

  /** Assets of one owner: a CouchDB rich query, served by META-INF/statedb/couchdb/indexes/indexOwner.json. */
  async QueryAssetsByOwner(ctx, owner) {
    const query = JSON.stringify({selector: {docType: 'asset', owner}, use_index: ['_design/indexOwnerDoc', 'indexOwner']})
    return JSON.stringify(await collect(await ctx.stub.getQueryResult(query)))
  }
}

module.exports = {AssetContract}
