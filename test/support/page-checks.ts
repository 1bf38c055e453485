import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

// The checks every page passes in the browser tests: no horizontal scrolling at the
// width it was opened at, and no serious or critical axe-core violation.

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Serious and critical axe-core violations, as readable lines, and how many rules the page passed. */
export async function axe(page: Page): Promise<{ serious: string[]; passed: number }> {
  // Evaluated, not a <script> tag: the pages' CSP (rightly) refuses inline scripts.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(await readFile(axeSource, 'utf8'));
  const result = (await page.evaluate(() =>
    (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }),
  )) as { violations: AxeViolation[]; passes: unknown[] };
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  return { serious, passed: result.passes.length };
}

/** The document's scroll width and the viewport's width, in CSS pixels. */
export async function pageWidths(page: Page): Promise<{ scroll: number; inner: number }> {
  return page.evaluate(() => {
    const w = globalThis as any;
    return { scroll: w.document.scrollingElement.scrollWidth as number, inner: w.innerWidth as number };
  });
}

/**
 * What is wrong with the page as it stands: horizontal overflow and serious axe
 * violations, as readable lines (empty when it is fine). Throws when axe checked
 * too few rules to have really looked at the page.
 */
export async function pageProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  const { scroll, inner } = await pageWidths(page);
  if (scroll > inner) problems.push(`horizontal scrolling: ${scroll} px of content in ${inner} px`);
  const { serious, passed } = await axe(page);
  if (passed <= 15) throw new Error(`axe-core passed only ${passed} rules: it did not look at the page`);
  return [...problems, ...serious];
}

/** The slide a page shows under `testId`: its page number, image address, and whether the image loaded. */
export async function shownSlide(page: Page, testId: string): Promise<{ page: number; src: string; loaded: boolean } | null> {
  return page.evaluate((id) => {
    const figure = (globalThis as any).document.querySelector(`[data-testid="${id}"]`);
    const img = figure?.querySelector('img') as { getAttribute(n: string): string | null; complete: boolean; naturalWidth: number } | null;
    if (!figure || !img) return null;
    return {
      page: Number(figure.getAttribute('data-page')),
      src: img.getAttribute('src') ?? '',
      loaded: img.complete && img.naturalWidth > 0,
    };
  }, testId);
}
