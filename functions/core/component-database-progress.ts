/**
 * How far a component database's action got (core/component-database.ts): carried on its stage iteration
 * (core/components.ts) from one ComponentAction to the next. Types only.
 */
import type { ChangeStatus, FenceResult } from './ports.js';

/** The phase a component database's next ComponentAction runs. */
export type DatabasePhase = 'observe' | 'fence' | 'promote' | 'status' | 'record' | 'record-status' | 'done';

/** How far a component database got: carried on its iteration from one ComponentAction to the next. */
export interface ComponentDatabaseProgress {
  phase: DatabasePhase;
  /** Set when the observation found its standby already the writer: this run neither fenced nor promoted it. */
  alreadyWriter?: boolean;
  fence?: FenceResult;
  promote?: { outcome: 'started' | 'already-promoted'; detail: string };
  /** Its standby's promotion, as last seen. */
  promotion?: { state: 'pending' | 'writable' | 'failed'; detail: string };
  /** Its writer's address, once writable: where its record goes. */
  writer?: string;
  record?: { recordName: string; target: string; changeId: string; status: ChangeStatus };
}
