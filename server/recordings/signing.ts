import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived URLs scoped to one recording. The token sits in the path, not the
 * query, so the relative segment URIs in an unchanged playlist inherit it: a
 * CDN or static server can serve the files as they are.
 */
export class MediaUrlSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds = 4 * 3600,
  ) {}

  sign(recordingId: string, now = Date.now()): { prefix: string; expiresAt: Date } {
    const { exp, sig, expiresAt } = this.token(recordingId, now);
    return { prefix: `/media/${recordingId}/${exp}/${sig}`, expiresAt };
  }

  /** The expiry and signature alone, for an address of another shape. */
  token(recordingId: string, now = Date.now()): { exp: number; sig: string; expiresAt: Date } {
    const exp = Math.floor(now / 1000) + this.ttlSeconds;
    return { exp, sig: this.mac(recordingId, exp), expiresAt: new Date(exp * 1000) };
  }

  verify(recordingId: string, exp: string, sig: string, now = Date.now()): boolean {
    if (!/^\d{1,12}$/.test(exp) || Number(exp) * 1000 < now) return false;
    const expected = Buffer.from(this.mac(recordingId, Number(exp)));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private mac(recordingId: string, exp: number): string {
    return createHmac('sha256', this.secret).update(`media:${recordingId}:${exp}`).digest('base64url');
  }
}
