import {AssetContract} from './asset'

export {AssetContract} from './asset'
export const contracts: unknown[] = [AssetContract]
