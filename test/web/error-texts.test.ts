import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import enCommon from '../../web/src/locales/en/common';
import enPortal from '../../web/src/locales/en/portal';
import enRoom from '../../web/src/locales/en/room';
import ruCommon from '../../web/src/locales/ru/common';
import ruPortal from '../../web/src/locales/ru/portal';
import ruRoom from '../../web/src/locales/ru/room';

// The pages show an error by its code, never by the server's English message
// (web/src/kit/errors.ts): every code the server can send, and every code the
// pages make themselves, needs a text in both languages. The codes are read from
// the server's sources, so a new error without a text fails here.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(p)));
    else if (entry.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Error codes in source text: constructor arguments, `code:` fields and parameter defaults. */
function codesIn(source: string): string[] {
  // zod's own issue codes (`ctx.addIssue({ code: 'custom' })`) never reach a client.
  const text = source.replace(/addIssue\(\{\s*code:\s*'[a-z_]+'/g, 'addIssue({');
  const patterns = [
    /(?:Error|super)\(\s*(?:\d+,\s*)?'([a-z][a-z_]*)'/g,
    /\bcode(?:\s*=|:)\s*'([a-z][a-z_]*)'/g,
    /Error\(\s*(?:\d+,\s*)?[\w.]+\s*\?\s*'([a-z][a-z_]*)'\s*:\s*'([a-z][a-z_]*)'/g,
    /\n\s+(?:[\w.]+\s*\?\s*)?'([a-z][a-z_]*)'\s*:\s*'([a-z][a-z_]*)',\n/g,
  ];
  return patterns.flatMap((re) => [...text.matchAll(re)].flatMap((m) => m.slice(1).filter((c): c is string => c !== undefined)));
}

async function codesUnder(dir: string): Promise<Set<string>> {
  const codes = new Set<string>();
  for (const file of await sources(path.join(root, dir))) for (const c of codesIn(await readFile(file, 'utf8'))) codes.add(c);
  return codes;
}

/** Every leaf key of a resource object, dotted. */
function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v as object, `${prefix}${k}.`)));
}

describe('error texts', () => {
  it('every error code of the server and the pages has a text in Russian and English', async () => {
    const server = await codesUnder('server');
    const web = await codesUnder('web/src');
    // The parse finds what it should: a sample of codes made in different ways.
    for (const c of [
      'unauthorized',
      'forbidden',
      'not_found',
      'token_expired',
      'invalid_token',
      'rate_limited',
      'invalid_request',
      'seats_full',
    ])
      expect(server).toContain(c);
    expect(server).toContain('payload_too_large');
    for (const c of ['timeout', 'disconnected', 'client_error', 'not_lecturer', 'network']) expect(web).toContain(c);
    const codes = [...new Set([...server, ...web, 'generic'])].sort();
    const missing = (errors: Record<string, string>) => codes.filter((c) => !(c in errors));
    expect(missing(ruCommon.errors)).toEqual([]);
    expect(missing(enCommon.errors)).toEqual([]);
  });

  it('English has every key that Russian has, plural forms aside', () => {
    for (const [ru, en] of [
      [ruCommon, enCommon],
      [ruPortal, enPortal],
      [ruRoom, enRoom],
    ] as const) {
      const base = (list: string[]) => [...new Set(list.map((k) => k.replace(/_(one|few|many|other)$/, '')))].sort();
      expect(base(keys(en))).toEqual(base(keys(ru)));
      // Where Russian counts, English has its two forms.
      for (const k of keys(ru).filter((k) => k.endsWith('_one'))) {
        const stem = k.slice(0, -'_one'.length);
        expect(keys(en)).toEqual(expect.arrayContaining([`${stem}_one`, `${stem}_other`]));
        expect(keys(ru)).toEqual(expect.arrayContaining([`${stem}_few`, `${stem}_many`, `${stem}_other`]));
      }
    }
  });

  it('Russian plural forms follow Intl.PluralRules', () => {
    const rules = new Intl.PluralRules('ru');
    expect([1, 2, 5, 21, 22, 25, 11].map((n) => rules.select(n))).toEqual(['one', 'few', 'many', 'one', 'few', 'many', 'many']);
    expect(ruRoom.viewers_few.replace('{{count}}', '2')).toBe('2 зрителя');
    expect(ruRoom.viewers_many.replace('{{count}}', '5')).toBe('5 зрителей');
  });
});
