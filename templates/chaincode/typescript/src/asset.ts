import {Context, Contract, Info, Returns, Transaction} from 'fabric-contract-api'

export interface Asset {
  docType: 'asset'
  id: string
  owner: string
  value: string
}

/** Keys sorted, so every peer writes the same bytes (endorsements must match). */
function toBytes(asset: Asset): Buffer {
  return Buffer.from(JSON.stringify(asset, Object.keys(asset).sort()))
}

@Info({title: 'AssetContract', description: 'A small key-value asset store'})
export class AssetContract extends Contract {
  @Transaction()
  async CreateAsset(ctx: Context, id: string, value: string, owner: string): Promise<Asset> {
    if (await this.AssetExists(ctx, id)) throw new Error(`asset ${id} already exists`)
    const asset: Asset = {docType: 'asset', id, owner, value}
    await ctx.stub.putState(id, toBytes(asset))
    return asset
  }

  @Transaction(false)
  @Returns('string')
  async ReadAsset(ctx: Context, id: string): Promise<string> {
    const data = await ctx.stub.getState(id)
    if (!data || data.length === 0) throw new Error(`asset ${id} does not exist`)
    return Buffer.from(data).toString('utf8')
  }

  @Transaction()
  async UpdateAsset(ctx: Context, id: string, value: string, owner: string): Promise<Asset> {
    if (!(await this.AssetExists(ctx, id))) throw new Error(`asset ${id} does not exist`)
    const asset: Asset = {docType: 'asset', id, owner, value}
    await ctx.stub.putState(id, toBytes(asset))
    return asset
  }

  @Transaction()
  async DeleteAsset(ctx: Context, id: string): Promise<void> {
    if (!(await this.AssetExists(ctx, id))) throw new Error(`asset ${id} does not exist`)
    await ctx.stub.deleteState(id)
  }

  @Transaction(false)
  @Returns('boolean')
  async AssetExists(ctx: Context, id: string): Promise<boolean> {
    const data = await ctx.stub.getState(id)
    return Boolean(data && data.length > 0)
  }

  /** All assets, by key range (works on LevelDB and CouchDB). */
  @Transaction(false)
  @Returns('string')
  async GetAllAssets(ctx: Context): Promise<string> {
    return JSON.stringify(await collect(await ctx.stub.getStateByRange('', '')))
  }

  /** Assets of one owner: a CouchDB rich query, served by META-INF/statedb/couchdb/indexes/indexOwner.json. */
  @Transaction(false)
  @Returns('string')
  async QueryAssetsByOwner(ctx: Context, owner: string): Promise<string> {
    const query = JSON.stringify({selector: {docType: 'asset', owner}, use_index: ['_design/indexOwnerDoc', 'indexOwner']})
    return JSON.stringify(await collect(await ctx.stub.getQueryResult(query)))
  }
}

interface KVIterator {
  close(): Promise<void>
  next(): Promise<{done?: boolean; value?: {key: string; value: Uint8Array}}>
}

async function collect(iterator: KVIterator): Promise<Asset[]> {
  const out: Asset[] = []
  try {
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      if (r.value) out.push(JSON.parse(Buffer.from(r.value.value).toString('utf8')) as Asset)
    }
  } finally {
    await iterator.close()
  }

  return out
}
