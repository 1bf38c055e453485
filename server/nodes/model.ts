// Which Lectern process holds what: the domain's view, no mongoose.

/** A node's claim to be alive: renewed while it runs, expired when it died. */
export interface NodeLeaseRepository {
  /** Extends (or takes) the node's lease until `expiresAt`. */
  renew(nodeId: string, expiresAt: Date): Promise<void>;
  /** The nodes whose leases have not expired at `now`. */
  alive(now: Date): Promise<Set<string>>;
  /** Gives the lease up at a clean stop. */
  release(nodeId: string): Promise<void>;
  ensureIndexes(): Promise<unknown>;
}
