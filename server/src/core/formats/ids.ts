// Sample ids of the peer formats are numbers or strings; the model keeps strings (as label files do)
// and remembers a number so that it is written back as one.

export function readId(value: unknown): { id?: string; numeric?: boolean } {
  if (typeof value === 'number' && Number.isFinite(value)) return { id: String(value), numeric: true };
  if (typeof value === 'string' && value !== '') return { id: value };
  return {};
}

export function writeId(id: string | undefined, numeric: boolean | undefined): string | number | undefined {
  if (id === undefined) return undefined;
  return numeric && /^-?\d+(\.\d+)?$/.test(id) ? Number(id) : id;
}
