'use strict'

const {AssetContract} = require('./asset')

module.exports.AssetContract = AssetContract
module.exports.contracts = [AssetContract]
