/** Text from data (sample ids, label names, excerpts) shown as is: no codicon markup such as `$(alert)`. */
export function plain(text: string): string {
  return text.replace(/\$\(/g, '$\u200b(');
}
