import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import jsQR from 'jsqr';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { startAppAtKnownAddress } from '../support/accounts';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { pageProblems } from '../support/page-checks';

// A learner with a Cyrillic name completes a one-lesson course in the browser, finds the
// certificate under "My learning" and downloads the PDF. The PDF's text is parsed back (the
// name is there, in the embedded font), its page rendered by poppler and its QR code decoded:
// the URL opens the public verification page, which says valid; the course's lecturer revokes
// it in the browser, and the same page then says revoked.

const run = promisify(execFile);
const shots = path.join(artifacts, 'certificates');
const poll = { timeout: 60_000, interval: 500 };
const NAME = 'Алёна Сергеевна Жукова';
const COURSE = 'Самозанятость: первые шаги';

let app: Lectern;
let browser: Browser;
let learner: TestUser;
let lecturer: TestUser;
let course: { id: string; lesson: string };
let work: string;

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  work = await mkdtemp(path.join(tmpdir(), 'lectern-certificates-'));
  // At a known address: the QR code holds PUBLIC_BASE_URL's link, which the browser then opens.
  [app, browser] = await Promise.all([startAppAtKnownAddress('e2e_certificates'), launchChromium('playback')]);
  const api = Api.of(app);
  const people = await cast(api);
  lecturer = people.lecturer;
  learner = await registerUser(api, { displayName: NAME });
  const c = await api.call('POST', '/courses', {
    token: lecturer.token,
    body: { title: COURSE, track: 'Налоги', completionThreshold: 0.9 },
  });
  const s = await api.call('PUT', `/courses/${c.body.id}/structure`, {
    token: lecturer.token,
    body: {
      modules: [
        {
          title: 'Главное',
          lessons: [{ kind: 'text', title: 'Как встать на учёт', body: 'Через приложение «Мой налог».', durationSeconds: 120 }],
        },
      ],
    },
  });
  expect((await api.call('PUT', `/courses/${c.body.id}/publication`, { token: lecturer.token, body: { published: true } })).status).toBe(
    200,
  );
  course = { id: c.body.id, lesson: s.body.modules[0].lessons[0].id };
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function open(token: string | null, route: string, problems: string[], width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(err.message));
  await reportCspViolations(page, route, problems);
  if (token) await signInPage(page, token);
  await page.goto(`${app.url}${route}`);
  return page;
}

async function pdfText(file: string): Promise<string> {
  const doc = await getDocument({ data: new Uint8Array(await readFile(file)), useSystemFonts: false }).promise;
  const text = (await (await doc.getPage(1)).getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ');
  await doc.destroy();
  return text;
}

/** The page drawn by poppler at 150 dpi, and the QR code found in it by jsQR. */
async function qrOf(file: string): Promise<string> {
  const prefix = path.join(work, 'page');
  await run('pdftoppm', ['-png', '-r', '150', '-singlefile', file, prefix]);
  const png = PNG.sync.read(await readFile(`${prefix}.png`));
  const found = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  if (!found) throw new Error('no QR code found on the rendered certificate');
  return found.data;
}

describe('a certificate, from completing the course to its revocation', () => {
  it('is issued on completion, downloaded, parsed back, verified by its QR code, and revoked by the lecturer', async () => {
    const problems: string[] = [];
    // The learner enrols and reads the lesson to its end, in the browser.
    const page = await open(learner.token, `/courses/${course.id}`, problems);
    await page.getByTestId('enrol').click();
    await expect.poll(() => page.getByTestId('course-page').getAttribute('data-enrolled'), poll).toBe('true');
    await page.getByRole('link', { name: 'Как встать на учёт' }).click();
    await page.getByTestId('mark-read').click();
    await page.getByTestId('lesson-read').waitFor();

    // "My learning": the certificate is there (issued after the progress flush); reloaded until it is.
    await page.getByRole('link', { name: 'Моё обучение' }).click();
    const certificate = page.locator(`[data-testid=certificate][data-course="${course.id}"]`);
    await expect
      .poll(async () => {
        if ((await certificate.count()) > 0) return certificate.getAttribute('data-status');
        await page.reload();
        await page.getByTestId('my-certificates').waitFor();
        return certificate.count();
      }, poll)
      .toBe('valid');
    expect(await app.db.connection.collection('course_completions').countDocuments({ courseId: course.id, userId: learner.id })).toBe(1);
    expect(await pageProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'learning-ru-1280.png'), fullPage: true });

    // The PDF, downloaded as the learner does.
    const [download] = await Promise.all([page.waitForEvent('download'), certificate.getByTestId('download-certificate').click()]);
    const file = path.join(work, 'certificate.pdf');
    await download.saveAs(file);
    const text = await pdfText(file);
    expect(text).toContain(NAME);
    expect(text).toContain(COURSE);

    // Its QR code, from the page as poppler draws it: the public verification page.
    const url = await qrOf(file);
    const stored = (await app.db.connection.collection('certificates').findOne({ courseId: course.id, userId: learner.id }))!;
    expect(url).toBe(`${app.config.publicBaseUrl}/verify/${stored.code as string}`);
    expect(text).toContain(stored.code as string);

    // Opened by anyone, signed in or not: valid, the course, nothing about the learner.
    const verify = await open(null, new URL(url).pathname, problems, 360);
    await expect.poll(() => verify.getByTestId('verify-page').getAttribute('data-status'), poll).toBe('valid');
    const verdict = await verify.getByTestId('verify-page').textContent();
    expect(verdict).toContain('Сертификат действителен');
    expect(verdict).toContain(COURSE);
    expect(verdict).not.toContain('Алёна');
    expect(await pageProblems(verify)).toEqual([]);
    await verify.screenshot({ path: path.join(shots, 'verify-valid-ru-360.png'), fullPage: true });

    // The course's lecturer revokes it in the workspace, with a reason.
    const staff = await open(lecturer.token, '/workspace/courses', problems);
    await staff.locator(`[data-testid=my-course][data-id="${course.id}"]`).getByTestId('course-certificates-link').click();
    const row = staff.locator(`[data-testid=staff-certificate][data-code="${stored.code as string}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(NAME);
    expect(await pageProblems(staff)).toEqual([]);
    await row.getByLabel('Причина отзыва').fill('Выдан по ошибке');
    await row.getByRole('button', { name: 'Отозвать' }).click();
    await expect.poll(() => row.getAttribute('data-status'), poll).toBe('revoked');
    await staff.screenshot({ path: path.join(shots, 'course-certificates-ru-1280.png'), fullPage: true });

    // The verification page now says revoked.
    await verify.reload();
    await expect.poll(() => verify.getByTestId('verify-page').getAttribute('data-status'), poll).toBe('revoked');
    expect(await verify.getByTestId('verify-verdict').textContent()).toContain('Сертификат отозван');
    // And in English.
    await verify.goto(`${url}?lang=en`);
    await expect.poll(() => verify.getByTestId('verify-verdict').textContent(), poll).toContain('The certificate has been revoked');
    expect(await pageProblems(verify)).toEqual([]);
    await verify.screenshot({ path: path.join(shots, 'verify-revoked-en-360.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 240_000);
});
