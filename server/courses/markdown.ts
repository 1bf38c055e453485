import MarkdownIt from 'markdown-it';

// Text lessons are Markdown written by lecturers and read by everyone enrolled, so they
// are rendered here once, with raw HTML off: markdown-it escapes every tag and attribute
// a lecturer types (a <script>, an onerror) and refuses javascript:, vbscript: and
// file: links. Rendering on the server keeps markdown-it out of the browser's bundle;
// the page still passes the HTML through DOMPurify before inserting it (defence in depth).
const md = new MarkdownIt({ html: false, linkify: true, typographer: true, breaks: false });

export function renderMarkdown(source: string): string {
  return md.render(source);
}
