/**
 * Live progress of a drill. On a terminal: a compact step list redrawn in place, each step with its status and
 * time. Otherwise (a pipe, CI, `--json`): one plain line per finished step, nothing redrawn.
 */
import type { DrillProgress } from './types.js';

interface Row {
  label: string;
  status: DrillProgress['status'];
  ms?: number;
  runs: number;
  detail?: string;
  startedAt: number;
}

const SYMBOL: Record<DrillProgress['status'], string> = {
  running: '…',
  done: '✓',
  failed: '✗',
  retry: '↻',
  info: '•',
};

const fmtMs = (ms: number | undefined) => (ms === undefined ? '' : `${Math.round(ms)} ms`);

export interface ProgressView {
  onProgress: (p: DrillProgress) => void;
  /** A free line (iteration headers). */
  note: (line: string) => void;
  /** Ends the live block (the next output starts below it). */
  finish: () => void;
}

export const createProgressView = (opts: { stream: NodeJS.WriteStream; live: boolean }): ProgressView => {
  const { stream } = opts;
  const live = opts.live && stream.isTTY === true;
  const t0 = Date.now();
  const rows = new Map<string, Row>();
  let drawn = 0;

  const line = (r: Row) => {
    // A pseudo-terminal may report no or a tiny width: fall back to a usual one.
    const width = (stream.columns ?? 0) >= 60 ? (stream.columns as number) : 120;
    const runs = r.runs > 1 ? ` ×${r.runs}` : '';
    const head = `  ${SYMBOL[r.status]} ${`${r.label}${runs}`.padEnd(28)} ${fmtMs(r.ms).padStart(8)}  `;
    const detail = (r.detail ?? '').replace(/\s+/g, ' ');
    return `${head}${detail}`.slice(0, Math.max(20, width - 1));
  };

  // Rows above the live block: a cursor cannot move above the top of the screen, so older rows are left as drawn.
  let frozen = 0;
  const redraw = () => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A`);
    const all = [...rows.values()];
    for (const r of all.slice(frozen)) stream.write(`\x1b[2K${line(r)}\n`);
    const maxLive = Math.max(5, (stream.rows ?? 40) - 2);
    frozen = Math.max(frozen, all.length - maxLive);
    drawn = all.length - frozen;
  };

  return {
    onProgress(p) {
      // Notifications are shown as info lines of their own; states and checks update one row each.
      const key = p.status === 'info' ? `${p.step}#${rows.size}` : `${p.group}:${p.step}`;
      const row = rows.get(key);
      if (!row || (p.status === 'running' && row.status !== 'running' && row.status !== 'retry')) {
        const runs = (row?.runs ?? 0) + (p.status === 'running' || !row ? 1 : 0);
        rows.set(key, {
          label: p.step,
          status: p.status,
          runs,
          startedAt: p.at,
          ...(p.ms !== undefined ? { ms: p.ms } : {}),
          ...(p.detail ? { detail: p.detail } : {}),
        });
        // Keep a row's position: Map order is insertion order, and re-setting an existing key keeps it.
      } else {
        row.status = p.status;
        if (p.ms !== undefined) row.ms = p.ms;
        if (p.detail) row.detail = p.detail;
      }
      if (live) {
        redraw();
      } else if (p.status !== 'running') {
        const r = rows.get(key) as Row;
        stream.write(`+${((Date.now() - t0) / 1000).toFixed(3).padStart(7)}s${line(r).slice(1)}\n`);
      }
    },
    note(text) {
      if (live) {
        rows.clear();
        drawn = 0;
        frozen = 0;
      }
      stream.write(`${text}\n`);
    },
    finish() {
      rows.clear();
      drawn = 0;
      frozen = 0;
    },
  };
};
