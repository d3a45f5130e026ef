/**
 * The read-only fence of an RDS for PostgreSQL instance through its custom DB parameter group, on the virtual clock:
 * shared by the failover world (./rds.ts, the source's group) and the way-back world (./rds-failback.ts, the writer's).
 */
import {
  DBParameterGroupNotFoundFault,
  DescribeDBParametersCommand,
  type DescribeDBParametersCommandInput,
  type DescribeDBParametersCommandOutput,
  type Parameter,
} from '@aws-sdk/client-rds';
import { rds } from '../statemachine/support.js';
import type { Clock } from './clock.js';

const notFound = (name: string | undefined) =>
  new DBParameterGroupNotFoundFault({ $metadata: {}, message: `DBParameterGroup ${name} not found.` });

export class ReadOnlyParameterGroup {
  readonly #clock: Clock;
  readonly #name: string;
  readonly #applyMs: number;
  readonly #openTransactionMs: number;
  #readOnlyRequestedAt: number | undefined;
  /** The parameters set by ModifyDBParameterGroup, by name: their Source is then `user`. */
  readonly #userValues = new Map<string, string>();

  constructor(clock: Clock, name: string, timing: { parameterApplyMs: number; openTransactionMs: number }) {
    this.#clock = clock;
    this.#name = name;
    this.#applyMs = timing.parameterApplyMs;
    this.#openTransactionMs = timing.openTransactionMs;
  }

  get name(): string {
    return this.#name;
  }

  /**
   * ModifyDBParameterGroup with ApplyMethod `immediate` applies a dynamic parameter to the instances of the group
   * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBParameterGroup.html), not at once: the
   * instance's DBParameterGroupStatus reads `applying` until it is `in-sync`
   * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBParameterGroupStatus.html).
   */
  modify(name: string | undefined, parameters: Parameter[]) {
    if (name !== this.#name) throw notFound(name);
    for (const p of parameters) {
      if (p.ParameterName && p.ParameterValue !== undefined) this.#userValues.set(p.ParameterName, p.ParameterValue);
    }
    const readOnly = parameters.some(
      (p) => p.ParameterName === 'default_transaction_read_only' && p.ParameterValue === '1',
    );
    if (readOnly && this.#readOnlyRequestedAt === undefined) this.#readOnlyRequestedAt = this.#clock.now();
    return { DBParameterGroupName: name };
  }

  /**
   * DescribeDBParameters (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBParameters.html):
   * the group's parameters, `Source` one of `user | system | engine-default` (a parameter set by
   * ModifyDBParameterGroup is `user`; one never set keeps its `engine-default` entry, without a value here), the
   * `parameter-name` filter, and pages of `MaxRecords` (default 100, 20 to 100) with a `Marker` for the rest;
   * DBParameterGroupNotFound for a group that does not exist.
   */
  describe(input: DescribeDBParametersCommandInput): DescribeDBParametersCommandOutput {
    if (input.DBParameterGroupName !== this.#name) throw notFound(input.DBParameterGroupName);
    const names = input.Filters?.find((f) => f.Name === 'parameter-name')?.Values;
    const all: Parameter[] = [...ENGINE_DEFAULTS]
      .filter((n) => !this.#userValues.has(n))
      .map((n) => ({ ParameterName: n, Source: 'engine-default', ApplyType: 'dynamic', DataType: 'boolean' }));
    for (const [n, v] of this.#userValues) {
      all.push({ ParameterName: n, ParameterValue: v, Source: 'user', ApplyType: 'dynamic', DataType: 'boolean' });
    }
    const selected = all
      .filter((p) => !input.Source || p.Source === input.Source)
      .filter((p) => !names || names.includes(p.ParameterName ?? ''))
      .sort((a, b) => (a.ParameterName ?? '').localeCompare(b.ParameterName ?? ''));
    const size = Math.min(100, Math.max(20, input.MaxRecords ?? 100));
    const from = Number(input.Marker ?? 0);
    const page = selected.slice(from, from + size);
    const more = from + size < selected.length;
    return { $metadata: {}, Parameters: page, ...(more ? { Marker: String(from + size) } : {}) };
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

/** A few of the boolean parameters a PostgreSQL family's group starts with, enough to page through. */
const ENGINE_DEFAULTS = ['default_transaction_read_only', 'hot_standby_feedback', 'log_connections', 'rds.force_ssl'];

/** DescribeDBParameters answered by whichever of `groups` is named; DBParameterGroupNotFound for any other. */
export const answerDescribeParameters = (...groups: ReadOnlyParameterGroup[]): void => {
  rds.on(DescribeDBParametersCommand).callsFake((input: DescribeDBParametersCommandInput) => {
    const group = groups.find((g) => g.name === input.DBParameterGroupName);
    if (!group) throw notFound(input.DBParameterGroupName);
    return group.describe(input);
  });
};
