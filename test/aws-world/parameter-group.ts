/**
 * The read-only fence of an RDS for PostgreSQL instance through its custom DB parameter group, on the virtual clock:
 * shared by the failover world (./rds.ts, the source's group) and the way-back world (./rds-failback.ts, the writer's).
 */
import { DBParameterGroupNotFoundFault, type Parameter } from '@aws-sdk/client-rds';
import type { Clock } from './clock.js';

export class ReadOnlyParameterGroup {
  readonly #clock: Clock;
  readonly #name: string;
  readonly #applyMs: number;
  readonly #openTransactionMs: number;
  #readOnlyRequestedAt: number | undefined;

  constructor(clock: Clock, name: string, timing: { parameterApplyMs: number; openTransactionMs: number }) {
    this.#clock = clock;
    this.#name = name;
    this.#applyMs = timing.parameterApplyMs;
    this.#openTransactionMs = timing.openTransactionMs;
  }

  /**
   * ModifyDBParameterGroup with ApplyMethod `immediate` applies a dynamic parameter to the instances of the group
   * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBParameterGroup.html), not at once: the
   * instance's DBParameterGroupStatus reads `applying` until it is `in-sync`
   * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBParameterGroupStatus.html).
   */
  modify(name: string | undefined, parameters: Parameter[]) {
    if (name !== this.#name) {
      throw new DBParameterGroupNotFoundFault({ $metadata: {}, message: `DBParameterGroup ${name} not found.` });
    }
    const readOnly = parameters.some(
      (p) => p.ParameterName === 'default_transaction_read_only' && p.ParameterValue === '1',
    );
    if (readOnly && this.#readOnlyRequestedAt === undefined) this.#readOnlyRequestedAt = this.#clock.now();
    return { DBParameterGroupName: name };
  }

  applyStatus(): string {
    const at = this.#readOnlyRequestedAt;
    return at !== undefined && this.#clock.now() < at + this.#applyMs ? 'applying' : 'in-sync';
  }

  /**
   * default_transaction_read_only makes new transactions read-only once applied; transactions already open
   * keep their setting and may still commit: each transaction takes default_transaction_read_only when it begins
   * (https://postgresqlco.nf/doc/en/param/transaction_read_only/).
   */
  writesEndAt(): number {
    const at = this.#readOnlyRequestedAt;
    return at === undefined ? Infinity : at + this.#applyMs + this.#openTransactionMs;
  }
}
