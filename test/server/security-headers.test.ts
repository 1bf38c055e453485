import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';
import type { Lectern } from '../../server/main';
import { startTestApp } from '../support/app';

let app: Lectern;
const portal = 'https://portal.example.org';

beforeAll(async () => {
  app = await startTestApp('security_headers', { EMBED_ORIGINS: `${portal}, https://mbm.example.ru:8443` });
});
afterAll(() => app.stop());

const page = (path: string) => fetch(`${app.url}${path}`, { headers: { accept: 'text/html' } });

function csp(res: Response): Map<string, string> {
  const header = res.headers.get('content-security-policy') ?? '';
  return new Map(
    header
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(' ')[0]!, d.slice(d.indexOf(' ') + 1)] as const),
  );
}

describe('security headers', () => {
  it('gives every page a CSP that allows only its own scripts, blob: media (and data: for hls.js’s subtitle tracks) and workers, and no framing', async () => {
    for (const path of ['/', '/studio', '/staff', '/account', '/no-such-page']) {
      const res = await page(path);
      const policy = csp(res);
      expect(policy.get('default-src'), path).toBe("'self'");
      expect(policy.get('script-src'), path).toBe("'self'");
      expect(policy.get('worker-src'), path).toBe("'self' blob:");
      expect(policy.get('media-src'), path).toBe("'self' blob: data:");
      expect(policy.get('object-src'), path).toBe("'none'");
      expect(policy.get('frame-ancestors'), path).toBe("'none'");
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('strict-origin-when-cross-origin');
    }
  });

  it('lets only the configured origins frame the embed pages, and nothing else', async () => {
    for (const path of ['/embed/watch/0123456789abcdef01234567', '/embed/replay/0123456789abcdef01234567', '/embed/sign-in']) {
      const res = await page(path);
      expect(res.status).toBe(200);
      expect(csp(res).get('frame-ancestors'), path).toBe(`'self' ${portal} https://mbm.example.ru:8443`);
      expect(csp(res).get('script-src'), path).toBe("'self'");
      expect(res.headers.get('x-frame-options'), path).toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    // The full pages, with their navigation, are not framable; nor a deeper address, nor a look-alike.
    for (const path of [
      '/watch/0123456789abcdef01234567',
      '/replay/0123456789abcdef01234567',
      '/embed/watch/x/y',
      '/embed/studio/0123456789abcdef01234567',
      '/embed/',
      '/sign-in',
      '/x/embed/watch/0123456789abcdef01234567',
    ]) {
      const res = await page(path);
      expect(csp(res).get('frame-ancestors'), path).toBe("'none'");
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });

  it('lets only Lectern itself frame the embed pages when no origin is configured', async () => {
    const bare = await startTestApp('security_headers_bare');
    try {
      const res = await fetch(`${bare.url}/embed/replay/0123456789abcdef01234567`, { headers: { accept: 'text/html' } });
      expect(csp(res).get('frame-ancestors')).toBe("'self'");
      expect(res.headers.get('x-frame-options')).toBeNull();
    } finally {
      await bare.stop();
    }
  });

  it('sends nosniff and the CSP on API answers and static files too', async () => {
    for (const path of ['/api/v1/seminars/upcoming', '/healthz', '/index.html']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(csp(res).get('frame-ancestors'), path).toBe("'none'");
    }
  });

  it('gives JSON API answers a CSP that allows nothing, and no more headers than they need', async () => {
    const res = await fetch(`${app.url}/api/v1/seminars/upcoming`);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    // The Swagger UI is a page: it keeps the pages' policy.
    expect(csp(await page('/api/docs/')).get('script-src')).toBe("'self'");
  });

  it('refuses an EMBED_ORIGINS entry that is not an origin, naming the variable', () => {
    const bads = [
      'portal.example.org',
      'https://portal.example.org/embed',
      'https://portal.example.org/',
      'javascript:alert(1)',
      "'unsafe-inline'",
      '*',
      'https://*.example.org',
      'ftp://portal.example.org',
      `${portal} https://other.example.org`,
      `${portal};script-src *`,
    ];
    for (const bad of bads) {
      expect(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), EMBED_ORIGINS: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), EMBED_ORIGINS: bad }), bad).toThrow(/EMBED_ORIGINS/);
    }
    expect(loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), EMBED_ORIGINS: `${portal},` }).embedOrigins).toEqual([portal]);
    expect(
      loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), EMBED_ORIGINS: ` ${portal} , http://localhost:3000` }).embedOrigins,
    ).toEqual([portal, 'http://localhost:3000']);
    expect(loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40) }).embedOrigins).toEqual([]);
  });
});
