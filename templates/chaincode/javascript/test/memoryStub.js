'use strict'

/** An in-memory world state with the ChaincodeStub calls the contract uses, for unit tests without a peer. */
class MemoryStub {
  state = new Map()

  async deleteState(key) {
    this.state.delete(key)
  }

  async getQueryResult(query) {
    const {selector} = JSON.parse(query)
    return this.iterator(
      [...this.state.entries()].filter(([, v]) => {
        const doc = JSON.parse(Buffer.from(v).toString('utf8'))
        return Object.entries(selector).every(([k, want]) => doc[k] === want)
      }),
    )
  }

  async getState(key) {
    return this.state.get(key) ?? new Uint8Array(0)
  }

  async getStateByRange(start, end) {
    return this.iterator([...this.state.entries()].filter(([k]) => k >= start && (end === '' || k < end)))
  }

  async putState(key, value) {
    this.state.set(key, value)
  }

  iterator(entries) {
    const sorted = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    let i = 0
    let closed = false
    return {
      get closed() {
        return closed
      },
      async close() {
        closed = true
      },
      async next() {
        if (i >= sorted.length) return {done: true}
        const [key, value] = sorted[i++]
        return {done: false, value: {key, value}}
      },
    }
  }
}

module.exports = {MemoryStub}
