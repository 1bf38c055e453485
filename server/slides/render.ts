import { execFile } from 'node:child_process';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError, BadRequestError, UnsupportedMediaTypeError } from '../errors';
import { DECK_MAX_PAGES, SLIDE_TITLE_MAX, SLIDE_WIDTH, THUMB_WIDTH } from '../protocol/slides';

// A deck's pages as images, with poppler (pdfinfo, pdftoppm, pdftotext) and, for PPTX, LibreOffice
// in headless mode. The tools run without a shell, in a folder of their own, each under a time
// limit: a file that hangs or crashes a tool is refused, and its folder removed.

const run = promisify(execFile);

export interface RenderedDeck {
  pageCount: number;
  /** Per page, 1-based order: the first non-empty line of its text. */
  titles: string[];
}

export interface DeckRendererOptions {
  /** Each tool's time limit. */
  timeoutMs: number;
  /** LibreOffice's binary for PPTX; absent: PPTX is refused (415). */
  soffice?: string;
}

export type DeckKind = 'pdf' | 'pptx';

/** What the bytes are: a PDF (%PDF-), a zip (PPTX is one), or neither (415). */
export function deckKind(bytes: Buffer): DeckKind {
  if (bytes.length === 0) throw new BadRequestError('deck_empty', 'The file is empty');
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return 'pptx';
  throw new UnsupportedMediaTypeError('deck_unsupported_type', 'A deck is a PDF or a PowerPoint (PPTX) file');
}

/** The image files of page n (1-based) in a deck's folder. */
export const slideFile = (page: number) => `slide-${page}.png`;
export const thumbFile = (page: number) => `thumb-${page}.png`;

export class DeckRenderer {
  constructor(private readonly opts: DeckRendererOptions) {}

  /**
   * The longest a render may take: up to five tools one after another (LibreOffice for a PPTX,
   * pdfinfo, pdftoppm twice, pdftotext), each bounded by the timeout.
   */
  get longestRenderMs(): number {
    return 5 * this.opts.timeoutMs;
  }

  /**
   * Renders the file into `dir` (created here, empty): slide-N.png at SLIDE_WIDTH and
   * thumb-N.png at THUMB_WIDTH. Any failure removes `dir` and throws the reason as a client error
   * (the file was the problem) or as it came (a missing tool is the server's).
   */
  async render(bytes: Buffer, kind: DeckKind, dir: string): Promise<RenderedDeck> {
    await mkdir(dir, { recursive: true });
    try {
      const pdf = path.join(dir, 'deck.pdf');
      if (kind === 'pptx') await this.convert(bytes, dir);
      else await writeFile(pdf, bytes);
      const pageCount = await this.pageCount(pdf);
      if (pageCount > DECK_MAX_PAGES) {
        throw new AppError(413, 'deck_too_many_pages', `A deck has at most ${DECK_MAX_PAGES} pages; this one has ${pageCount}`);
      }
      await this.tool('pdftoppm', ['-png', '-scale-to-x', String(SLIDE_WIDTH), '-scale-to-y', '-1', pdf, path.join(dir, 'p')]);
      await this.tool('pdftoppm', ['-png', '-scale-to-x', String(THUMB_WIDTH), '-scale-to-y', '-1', pdf, path.join(dir, 't')]);
      await this.name(dir, 'p', pageCount, slideFile);
      await this.name(dir, 't', pageCount, thumbFile);
      const titles = await this.titles(pdf, pageCount);
      await rm(pdf);
      return { pageCount, titles };
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** LibreOffice writes deck.pdf beside deck.pptx. */
  private async convert(bytes: Buffer, dir: string): Promise<void> {
    if (!this.opts.soffice) {
      throw new UnsupportedMediaTypeError('deck_pptx_unavailable', 'This server cannot convert PowerPoint files; upload a PDF');
    }
    const source = path.join(dir, 'deck.pptx');
    await writeFile(source, bytes);
    // A profile of its own: LibreOffice refuses to start a second instance on a shared one.
    const profile = `file://${path.join(dir, 'lo-profile')}`;
    // The PPTX filter named: without it LibreOffice would open any file it cannot read as plain text.
    await this.tool(this.opts.soffice, [
      `-env:UserInstallation=${profile}`,
      '--headless',
      '--infilter=Impress MS PowerPoint 2007 XML',
      '--convert-to',
      'pdf',
      '--outdir',
      dir,
      source,
    ]);
    await rm(source);
    await rm(path.join(dir, 'lo-profile'), { recursive: true, force: true });
    const made = (await readdir(dir)).includes('deck.pdf');
    if (!made) throw new BadRequestError('deck_unreadable', 'The presentation could not be read');
  }

  private async pageCount(pdf: string): Promise<number> {
    const { stdout } = await this.tool('pdfinfo', [pdf]);
    const pages = /^Pages:\s+(\d+)/m.exec(stdout);
    const count = pages ? Number(pages[1]) : 0;
    if (count < 1) throw new BadRequestError('deck_unreadable', 'The PDF has no pages that can be read');
    return count;
  }

  /** pdftoppm numbers its files with as many digits as the last page needs: p-01.png … p-12.png. */
  private async name(dir: string, prefix: string, pageCount: number, to: (page: number) => string): Promise<void> {
    const made = new Map<number, string>();
    for (const file of await readdir(dir)) {
      const m = new RegExp(`^${prefix}-(\\d+)\\.png$`).exec(file);
      if (m) made.set(Number(m[1]), file);
    }
    for (let page = 1; page <= pageCount; page++) {
      const file = made.get(page);
      if (!file) throw new BadRequestError('deck_unreadable', `Page ${page} of the PDF could not be rendered`);
      await rename(path.join(dir, file), path.join(dir, to(page)));
    }
  }

  /** pdftotext ends each page with a form feed: one run for all the pages. */
  private async titles(pdf: string, pageCount: number): Promise<string[]> {
    const { stdout } = await this.tool('pdftotext', ['-enc', 'UTF-8', '-layout', pdf, '-']);
    const pages = stdout.split('\f');
    return Array.from({ length: pageCount }, (_, i) => {
      const line = (pages[i] ?? '')
        .split('\n')
        .map((l) => l.replace(/\s+/g, ' ').trim())
        .find((l) => l !== '');
      return (line ?? '').slice(0, SLIDE_TITLE_MAX);
    });
  }

  private async tool(bin: string, args: string[]): Promise<{ stdout: string }> {
    try {
      return await run(bin, args, { timeout: this.opts.timeoutMs, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
      // A missing tool is the server's fault, not the file's.
      if (e.code === 'ENOENT') throw err;
      if (e.killed) throw new BadRequestError('deck_render_timeout', 'The file took too long to render');
      throw new BadRequestError('deck_unreadable', 'The file could not be read as a presentation');
    }
  }
}
