/** A positive integer from the environment (or 0 where `allowZero`, for settings where 0 means "none"), or the fallback when unset. */
export function intEnv(name: string, fallback: number, { allowZero = false } = {}): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || (n === 0 && !allowZero))
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
  return n;
}
