/**
 * The model registry's list of artifacts: the plan's query, run on the registry database in a read-only
 * transaction, wrapped as a subquery with the plan's row bound (one row more, to know when the list was cut).
 */
import { InvalidInputError } from '#core/errors.js';
import type { PgEndpoint } from '#core/plan.js';
import type { ArtifactRegistry } from '#core/ports.js';
import { type PgLikeError, PgSessions, type SessionBounds } from '../database/postgres-sessions.js';
import { resolveSecret } from '../secrets.js';

const BOUNDS: SessionBounds = { budgetMs: 20_000, connectTimeoutMs: 5_000, statementTimeoutMs: 15_000 };

/**
 * The registry refusing the plan's query itself (SQLSTATE class 42: syntax, unknown table or column, privilege;
 * 25006: it tried to write in the read-only transaction; 0A000: a data-modifying WITH, which cannot be a subquery)
 * is the plan's mistake, which retrying will not fix.
 */
const planQueryError = (error: PgLikeError): InvalidInputError | undefined => {
  const code = error.code ?? '';
  if (!code.startsWith('42') && code !== '25006' && code !== '0A000') return undefined;
  return new InvalidInputError('artifacts.query', `the registry refused the query: ${code} ${error.message ?? ''}`, {
    cause: error,
  });
};

export class PgArtifactRegistry implements ArtifactRegistry {
  readonly #sessions: PgSessions;
  readonly #bounds: SessionBounds;

  constructor(
    endpoint: PgEndpoint,
    private readonly query: string,
    deps: { secrets?: typeof resolveSecret; bounds?: SessionBounds } = {},
  ) {
    this.#sessions = new PgSessions({ primary: endpoint, standby: endpoint }, deps.secrets ?? resolveSecret);
    this.#bounds = deps.bounds ?? BOUNDS;
  }

  async list(limit: number): Promise<{ rows: unknown[]; truncated: boolean }> {
    // The plan's query is one SELECT (the schema refuses anything else); a trailing semicolon would end the subquery.
    const select = this.query.trim().replace(/;\s*$/, '');
    return this.#sessions.session('standby', this.#bounds, async (client) => {
      // READ ONLY: whatever the query says, this session cannot write to the registry.
      await client.query('BEGIN TRANSACTION READ ONLY');
      try {
        const result = await client
          .query(`SELECT * FROM (${select}) AS registry LIMIT $1`, [limit + 1])
          .catch((error: PgLikeError) => {
            throw planQueryError(error) ?? error;
          });
        return { rows: result.rows.slice(0, limit), truncated: result.rows.length > limit };
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
      }
    });
  }
}
