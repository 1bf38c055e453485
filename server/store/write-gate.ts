/**
 * Serializes this process's updates to one document.
 *
 * FerretDB 1.24 on SQLite applies an update as an unisolated read-modify-write:
 * 20 concurrent `$inc`s on one document were measured to land as 2, each
 * reporting modifiedCount 1 (see test/store/atomicity.test.ts). Inserts under a
 * unique index and deletes do hold. The embedded FerretDB serves exactly one
 * Lectern process, so serializing that process's updates per document restores
 * the single-document atomicity the store relies on. On MongoDB the updates
 * are atomic anyway and the gate only orders them.
 */
export class WriteGate {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, write: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(write, write);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return current;
  }

  /** Runs one write over several documents once every earlier write to any of them has ended. */
  runAll<T>(keys: readonly string[], write: () => Promise<T>): Promise<T> {
    const previous = keys.map((key) => this.tails.get(key)).filter((tail) => tail !== undefined);
    const current = previous.length ? Promise.all(previous).then(write) : write();
    const tail = current.catch(() => undefined);
    for (const key of keys) {
      this.tails.set(key, tail);
      void tail.then(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    }
    return current;
  }

  get pending(): number {
    return this.tails.size;
  }
}
