import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { Certificate } from './model';

/** Debian's fonts-dejavu-core (scripts/setup.sh installs it): a TrueType font with Cyrillic, embedded in every PDF. */
export const CERTIFICATE_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const CERTIFICATE_FONT_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

/** Refuses to go on without the font: a certificate drawn in a font without Cyrillic would show no name at all. */
export function checkCertificateFonts(): void {
  for (const file of [CERTIFICATE_FONT, CERTIFICATE_FONT_BOLD]) {
    if (!existsSync(file)) {
      throw new Error(`The certificates' font ${file} is missing: install Debian's fonts-dejavu-core (bash scripts/setup.sh does)`);
    }
  }
}

/** The course's length in hours, to a tenth; a course of a few minutes still says 0.1, not 0. */
export function courseHours(seconds: number): number {
  if (seconds <= 0) return 0;
  return Math.max(0.1, Math.round(seconds / 360) / 10);
}

function date(at: Date, timeZone: string, locale: 'ru-RU' | 'en-GB'): string {
  return new Intl.DateTimeFormat(locale, { timeZone, day: 'numeric', month: 'long', year: 'numeric' }).format(at);
}

/**
 * The certificate as a one-page A4 PDF, in Russian and English: the learner's name, the
 * course, the completion date in the certificate's zone, the hours, the verification code
 * and a QR code of the verification page. Drawn from the stored record alone, with the
 * issue time as the PDF's creation date, so the same record always gives the same bytes:
 * nothing is stored on disk, and any node can serve it.
 */
export async function certificatePdf(c: Certificate, verifyUrl: string): Promise<Buffer> {
  checkCertificateFonts();
  const qr = await QRCode.toBuffer(verifyUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 360 });
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: 48,
    info: {
      Title: `Сертификат / Certificate ${c.code}`,
      Author: 'Lectern',
      Subject: c.courseTitle,
      CreationDate: c.issuedAt,
      ModDate: c.issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('body', CERTIFICATE_FONT);
  doc.registerFont('bold', CERTIFICATE_FONT_BOLD);
  const width = doc.page.width - 96;
  const hours = courseHours(c.courseSeconds);
  const centred = { width, align: 'center' as const };

  doc
    .rect(24, 24, doc.page.width - 48, doc.page.height - 48)
    .lineWidth(2)
    .stroke('#1f4e79');
  doc.font('bold').fontSize(30).fillColor('#1f4e79').text('СЕРТИФИКАТ', 48, 64, centred);
  doc.font('body').fontSize(14).fillColor('#555555').text('Certificate of completion', centred);
  doc.moveDown(1.2);
  doc.fontSize(13).fillColor('#333333').text('Настоящим подтверждается, что / This is to certify that', centred);
  doc.moveDown(0.6);
  doc.font('bold').fontSize(26).fillColor('#000000').text(c.learnerName, centred);
  doc.moveDown(0.6);
  doc.font('body').fontSize(13).fillColor('#333333').text('успешно завершил(а) курс / has completed the course', centred);
  doc.moveDown(0.4);
  doc.font('bold').fontSize(20).fillColor('#000000').text(`«${c.courseTitle}»`, centred);
  doc.moveDown(1);
  doc
    .font('body')
    .fontSize(13)
    .fillColor('#333333')
    .text(`Дата завершения: ${date(c.completedAt, c.timeZone, 'ru-RU')} · Объём: ${hours.toLocaleString('ru-RU')} ч`, centred)
    .text(`Completed on ${date(c.completedAt, c.timeZone, 'en-GB')} · ${hours.toLocaleString('en-GB')} hours`, centred);

  const qrSize = 120;
  const bottom = doc.page.height - 48 - qrSize;
  doc.image(qr, doc.page.width - 48 - qrSize - 16, bottom - 8, { width: qrSize, height: qrSize });
  doc
    .fontSize(10)
    .fillColor('#555555')
    .text(`Код проверки / Verification code: ${c.code}`, 64, bottom + 40, { width: width - qrSize - 48 })
    .text(`Проверить / Verify: ${verifyUrl}`, { width: width - qrSize - 48 });
  doc.end();
  return done;
}
