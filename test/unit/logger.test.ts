import { describe, expect, it } from 'vitest';
import { redactingReplacer } from '#lib/logger.js';

const serialise = (value: unknown) => JSON.stringify(value, redactingReplacer);

describe('redactingReplacer', () => {
  it('masks the password of a connection string', () => {
    // Act
    const out = serialise({ message: 'connecting to postgres://app:hunter2@db.example.internal:5432/orders' });

    // Assess
    expect(out).not.toContain('hunter2');
    expect(out).toContain('postgres://app:[REDACTED]@db.example.internal:5432/orders');
  });

  it('masks values under password and secret keys, at any depth', () => {
    // Prepare
    const value = {
      password: 'hunter2',
      db: { user: 'app', secret: 'hunter2', dbPassword: 'hunter2' },
      list: [{ clientSecret: 'hunter2' }],
    };

    // Act
    const out = serialise(value);

    // Assess
    expect(out).not.toContain('hunter2');
    expect(JSON.parse(out)).toEqual({
      password: '[REDACTED]',
      db: { user: 'app', secret: '[REDACTED]', dbPassword: '[REDACTED]' },
      list: [{ clientSecret: '[REDACTED]' }],
    });
  });

  it('serialises an Error whose message holds a connection string without the password', () => {
    // Prepare
    const error = new Error('connect ECONNREFUSED postgres://u:hunter2@h/db');

    // Act
    const out = serialise({ error });

    // Assess
    expect(out).not.toContain('hunter2');
    expect(JSON.parse(out)).toEqual({
      error: { name: 'Error', message: 'connect ECONNREFUSED postgres://u:[REDACTED]@h/db' },
    });
  });

  it('serialises an Error at the root and in a cause chain without the password', () => {
    // Prepare
    const inner = new Error('password authentication failed: postgres://u:hunter2@h/db');
    const outer = new TypeError('Promote failed', { cause: inner });

    // Act
    const out = serialise(outer);

    // Assess
    expect(out).not.toContain('hunter2');
    expect(JSON.parse(out)).toMatchObject({ name: 'TypeError', cause: { name: 'Error' } });
  });

  it('drops the stack, which repeats the raw message', () => {
    // Prepare
    const error = new Error('postgres://u:hunter2@h/db');

    // Act
    const out = serialise({ error });

    // Assess
    expect(out).not.toContain('stack');
    expect(out).not.toContain('hunter2');
  });

  it('masks key=value secrets inside free text', () => {
    // Act
    const out = serialise(['host=db password=hunter2 dbname=orders', 'Authorization: Bearer hunter2']);

    // Assess
    expect(out).not.toContain('hunter2');
  });

  it('leaves ordinary values readable', () => {
    // Prepare
    const value = { plan: 'orders', step: 'CheckLag', lagSeconds: 0.4, password: null, ok: true };

    // Act
    const out = serialise(value);

    // Assess
    expect(JSON.parse(out)).toEqual(value);
  });
});
