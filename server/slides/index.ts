import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Actor } from '../accounts/grants';
import { MediaUrlSigner } from '../recordings/signing';
import type { Seminar } from '../seminars/model';
import { DeckRenderer } from './render';
import { SlideService, type SlideRepository } from './service';

/** How long one tool (pdftoppm on a whole deck, LibreOffice on a PPTX) may run. */
const RENDER_TIMEOUT_MS = 120_000;

/** LibreOffice on PATH, if it is installed: without it PPTX is refused (415 deck_pptx_unavailable). */
function findSoffice(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const bin = path.join(dir, 'soffice');
    try {
      accessSync(bin, constants.X_OK);
      return bin;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

export function createSlides(deps: {
  repo: SlideRepository;
  dataDir: string;
  secret: string;
  managed(actor: Actor, seminarId: string): Promise<Seminar>;
}): SlideService {
  const soffice = findSoffice();
  return new SlideService({
    repo: deps.repo,
    renderer: new DeckRenderer({ timeoutMs: RENDER_TIMEOUT_MS, ...(soffice ? { soffice } : {}) }),
    dir: path.join(deps.dataDir, 'slides'),
    signer: new MediaUrlSigner(`${deps.secret}:slides`),
    managed: (actor, seminarId) => deps.managed(actor, seminarId),
  });
}
