import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Pages the centre's portal may show in a frame: the compact embed variants of a seminar's
 * watch and replay pages, and the sign-in form they link to. The full pages are not among
 * them: their navigation leads to pages that refuse framing, and the fewer framable pages,
 * the less there is to clickjack.
 */
const EMBEDDABLE = /^\/embed\/(?:(?:watch|replay)\/[^/]+|sign-in)\/?$/;

/** Answers of the JSON API (not its Swagger UI pages under /api/docs, which are a document). */
const API_ANSWERS = /^\/api\/v\d+\//;

function apiHeaders(): Array<[string, string]> {
  return [
    ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'strict-origin-when-cross-origin'],
    ['X-Frame-Options', 'DENY'],
  ];
}

/**
 * What the pages load, and nothing else: the Vite build's own scripts and styles,
 * hls.js's worker (a blob: URL) and its media (blob: MediaSource URLs), the API and
 * Socket.IO on this origin (WebRTC media is not fetched, so CSP does not govern it).
 * Style attributes that the pages and Swagger UI set need 'unsafe-inline' for styles
 * only; scripts never run inline.
 */
function directives(frameAncestors: string[]) {
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'", 'data:'],
    // data: for hls.js's subtitle <track> elements, which it gives an empty `data:,WEBVTT` source.
    mediaSrc: ["'self'", 'blob:', 'data:'],
    workerSrc: ["'self'", 'blob:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors,
  };
}

/**
 * helmet's headers on every answer: a Content-Security-Policy, nosniff, a referrer
 * policy that never sends a path to another origin. Framing is refused everywhere
 * (studio, staff and account pages above all, against clickjacking) except on the
 * embed pages (/embed/watch/:id, /embed/replay/:id, /embed/sign-in), which the origins
 * in EMBED_ORIGINS may frame.
 */
export function securityHeaders(embedOrigins: readonly string[]): RequestHandler {
  // JSON answers are never rendered as a document: a CSP that allows nothing says all
  // there is to say, in a tenth of the bytes of a page's headers. Heartbeats are most
  // of the traffic, so every API answer gets these few precomputed ones, not helmet's set.
  const api = apiHeaders();
  const common = {
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' as const },
    // Plain-HTTP deployments (and tests) exist behind TLS-terminating proxies; HSTS is the proxy's to send.
    strictTransportSecurity: false,
  };
  const strict = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: directives(["'none'"]) },
    xFrameOptions: { action: 'deny' },
  });
  const embeddable = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: directives(["'self'", ...embedOrigins]) },
    // X-Frame-Options cannot name other origins; frame-ancestors above says who may frame.
    xFrameOptions: false,
  });
  return (req, res, next) => {
    if (API_ANSWERS.test(req.path)) {
      for (const [name, value] of api) res.setHeader(name, value);
      return next();
    }
    (EMBEDDABLE.test(req.path) ? embeddable : strict)(req, res, next);
  };
}
