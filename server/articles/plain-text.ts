import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: false });

/** The words of a Markdown text without its markup: what search matches and snippets show. */
export function markdownText(source: string): string {
  const words: string[] = [];
  for (const token of md.parse(source, {})) {
    if (token.type === 'inline') {
      for (const child of token.children ?? []) if (child.type === 'text' || child.type === 'code_inline') words.push(child.content);
    } else if (token.type === 'fence' || token.type === 'code_block') words.push(token.content);
  }
  return words.join(' ').replace(/\s+/g, ' ').trim();
}

/** At most `max` characters, cut at a word with an ellipsis. */
export function excerpt(text: string, max = 200): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
