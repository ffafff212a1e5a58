// Dataset text is untrusted. Anything of it shown as Markdown goes through here first.

/** Escapes text for Markdown: no markup, no links (so no `command:` URIs), no raw HTML. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_{}[\]()#+\-.!|~:]/g, '\\$&')
    .replace(/\r\n|\r|\n/g, ' ');
}

/** Escaped text inside an inline code span is shown literally. Backticks are replaced, not escaped. */
export function inlineCode(text: string): string {
  return `\`${text.replace(/`/g, 'ʼ').replace(/\r\n|\r|\n/g, ' ')}\``;
}
