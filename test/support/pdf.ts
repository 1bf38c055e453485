// A small real PDF made in the test: one page per title, the title drawn large in Helvetica over a
// coloured band (so rendered pages differ in their pixels too). Offsets in the xref table are
// exact, so poppler reads it without repairing anything.

/** Titles are ASCII: the standard 14 fonts' WinAnsi text needs no embedded font. */
export function makePdf(titles: string[], opts: { width?: number; height?: number } = {}): Buffer {
  const width = opts.width ?? 960;
  const height = opts.height ?? 540;
  const objects: string[] = [];
  const pageIds: number[] = [];
  // 1: catalog, 2: pages, 3: font; then a page and its content stream per title.
  const fontId = 3;
  titles.forEach((title, i) => {
    const pageId = 4 + i * 2;
    const contentId = pageId + 1;
    pageIds.push(pageId);
    const shade = ((i * 0.3) % 1).toFixed(2);
    const text = title.replace(/[\\()]/g, (c) => `\\${c}`);
    const stream = [
      `${shade} 0.4 0.8 rg 0 ${height - 120} ${width} 120 re f`,
      `1 1 1 rg BT /F1 48 Tf 60 ${height - 90} Td (${text}) Tj ET`,
      `0.2 0.2 0.2 rg BT /F1 24 Tf 60 200 Td (Page ${i + 1} of ${titles.length}) Tj ET`,
    ].join('\n');
    objects[pageId] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${width} ${height}] /Resources << /Font << /F1 ${fontId} 0 R >> >> /Contents ${contentId} 0 R >>`;
    objects[contentId] = `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`;
  });
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
  objects[fontId] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';

  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(out, 'latin1');
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/**
 * A presentation in LibreOffice's flat XML format (.fodp), one slide per title: the tests turn it
 * into a PPTX with LibreOffice itself, so the PPTX is a real one without a generator library.
 */
export function makeFlatOdp(titles: string[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const pages = titles
    .map(
      (title, i) => `
   <draw:page draw:name="page${i + 1}" draw:master-page-name="Default">
    <draw:frame svg:width="20cm" svg:height="3cm" svg:x="2cm" svg:y="2cm" presentation:class="title">
     <draw:text-box><text:p>${esc(title)}</text:p></draw:text-box>
    </draw:frame>
   </draw:page>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:automatic-styles>
  <style:page-layout style:name="PM1"><style:page-layout-properties fo:page-width="28cm" fo:page-height="15.75cm"/></style:page-layout>
 </office:automatic-styles>
 <office:master-styles>
  <style:master-page style:name="Default" style:page-layout-name="PM1"/>
 </office:master-styles>
 <office:body>
  <office:presentation>${pages}
  </office:presentation>
 </office:body>
</office:document>
`;
}
