import type { Output } from '../context.js';

/** A plain text table: columns padded to their widest cell, a rule under the header. */
export const table = (head: string[], rows: string[][]): string => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(head), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n')}\n`;
};

/** The last column is never cut narrower than this, however narrow the terminal. */
const MIN_LAST_COLUMN = 24;

const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

/**
 * A table that fits the terminal it is written to: on a terminal of known width, the last column's cells are cut
 * (`…`) so every line fits, and a last line says so and where the whole text is (`--json`). Written anywhere
 * else (a pipe, a file), nothing is cut.
 */
export const fitTable = (head: string[], rows: string[][], out: Output): string => {
  const columns = out.isTTY ? out.columns : undefined;
  const last = head.length - 1;
  const others = head.slice(0, last).map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const room =
    columns === undefined ? Infinity : Math.max(MIN_LAST_COLUMN, columns - others.reduce((a, w) => a + w + 2, 0));
  const wasCut = rows.some((r) => (r[last] ?? '').length > room);
  const text = table(
    head,
    rows.map((r) => r.map((c, i) => (i === last ? cut(c, room) : c))),
  );
  return wasCut ? `${text}(${head[last]} cut to the terminal's ${columns} columns: --json has the whole text)\n` : text;
};
