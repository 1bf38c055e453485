// Heartbeats sent as a page is left within the app (the replay closing on a route change),
// so the next page can wait for them: "My learning" reads progress only once the last
// position it would show has reached the server, never a stale one.

const inFlight = new Set<Promise<unknown>>();

/** Tracks a heartbeat that a page sent on its way out. */
export function trackLeavingHeartbeat(sent: Promise<unknown>): void {
  const settled = sent.then(
    () => undefined,
    () => undefined,
  );
  inFlight.add(settled);
  void settled.then(() => inFlight.delete(settled));
}

/** Resolves once every tracked heartbeat has been answered (or failed); at most `timeoutMs` later. */
export async function leavingHeartbeatsSettled(timeoutMs = 3000): Promise<void> {
  if (inFlight.size === 0) return;
  await Promise.race([Promise.all([...inFlight]), new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
}
