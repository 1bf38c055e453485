import MarkdownIt from 'markdown-it';

// Text lessons are Markdown written by lecturers and read by everyone enrolled, so they
// are rendered here once, with raw HTML off: markdown-it escapes every tag and attribute
// a lecturer types (a <script>, an onerror) and refuses javascript:, vbscript: and
// file: links. Rendering on the server keeps markdown-it out of the browser's bundle;
// the page still passes the HTML through DOMPurify before inserting it (defence in depth).
const md = new MarkdownIt({ html: false, linkify: true, typographer: true, breaks: false });

/**
 * The lesson's body as HTML under the page's own <h1> (the lesson's title): headings move
 * one level down, and a first heading that only repeats the title is left out.
 */
export function renderMarkdown(source: string, title: string): string {
  const env = {};
  const tokens = md.parse(source, env);
  if (tokens[0]?.type === 'heading_open' && tokens[1]?.content.trim() === title.trim()) tokens.splice(0, 3);
  for (const token of tokens) {
    if ((token.type === 'heading_open' || token.type === 'heading_close') && token.tag !== 'h6') {
      token.tag = `h${Number(token.tag.slice(1)) + 1}`;
    }
  }
  return md.renderer.render(tokens, md.options, env);
}
