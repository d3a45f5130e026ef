/**
 * What the platform components' port (PlatformComponents, core/ports.ts) adds for a component database
 * (core/component-database.ts): the adapters the main database's steps use, for the component's own sections. On its
 * own file beside ports.ts, which extends it with its own database and DNS port types.
 */
import type { DatabaseScope, DnsScope } from './plan.js';

export interface ComponentDatabasePorts<Database, Record> {
  /**
   * A component database's adapter: the one the main database's steps use, for the component's section. Its calls
   * must end inside the component function's timeout (PostgreSQL's promotion waits less than the Promote step's).
   */
  database(scope: DatabaseScope): Promise<Database>;
  /** A component database's record (its `dns`): the DNS adapter the main UpdateDns uses, UPSERT only. */
  record(scope: DnsScope): Promise<Record>;
}
