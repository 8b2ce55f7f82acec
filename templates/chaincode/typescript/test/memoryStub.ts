/** An in-memory world state with the ChaincodeStub calls the contract uses, for unit tests without a peer. */
export class MemoryStub {
  readonly state = new Map<string, Uint8Array>()

  async deleteState(key: string): Promise<void> {
    this.state.delete(key)
  }

  async getQueryResult(query: string) {
    const {selector} = JSON.parse(query) as {selector: Record<string, unknown>}
    return this.iterator(
      [...this.state.entries()].filter(([, v]) => {
        const doc = JSON.parse(Buffer.from(v).toString('utf8')) as Record<string, unknown>
        return Object.entries(selector).every(([k, want]) => doc[k] === want)
      }),
    )
  }

  async getState(key: string): Promise<Uint8Array> {
    return this.state.get(key) ?? new Uint8Array(0)
  }

  async getStateByRange(start: string, end: string) {
    return this.iterator([...this.state.entries()].filter(([k]) => k >= start && (end === '' || k < end)))
  }

  async putState(key: string, value: Uint8Array): Promise<void> {
    this.state.set(key, value)
  }

  private iterator(entries: [string, Uint8Array][]) {
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
