/**
 * `Notifier` for the local drill and tests: keeps every event in memory, optionally appends it to a JSON-lines
 * file (the drill's report reads it) and hands it to a callback (the drill prints it as it happens).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FailoverEvent, Notifier } from '#core/ports.js';
import { redact } from '#core/redact.js';

export interface LocalNotifierOptions {
  /** Appends one JSON line per event; the folder is created if missing. */
  file?: string;
  /** Called with the redacted copy after it is recorded. A throw fails publish, as a real target would. */
  onEvent?: (event: FailoverEvent) => void | Promise<void>;
}

export class LocalNotifier implements Notifier {
  /** Redacted copies, in publish order: what a real subscriber would have received. */
  readonly events: FailoverEvent[] = [];
  readonly #options: LocalNotifierOptions;

  constructor(options: LocalNotifierOptions = {}) {
    this.#options = options;
  }

  async publish(event: FailoverEvent): Promise<void> {
    const safe = redact(event);
    this.events.push(safe);
    const { file, onEvent } = this.#options;
    if (file) {
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, `${JSON.stringify(safe)}\n`, 'utf8');
    }
    await onEvent?.(safe);
  }

  /** The events of one type, e.g. every `Failover Step Completed`. */
  ofType(type: FailoverEvent['type']): FailoverEvent[] {
    return this.events.filter((e) => e.type === type);
  }
}
