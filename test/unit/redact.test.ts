import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactString } from '#core/redact.js';

describe('redactString', () => {
  it.each([
    [
      'postgres://app:s3cr3t-pw@db.example.internal:5432/orders',
      'postgres://app:[REDACTED]@db.example.internal:5432/orders',
    ],
    [
      'postgresql://app:s3cr3t-pw@10.0.0.1/db?sslmode=require',
      'postgresql://app:[REDACTED]@10.0.0.1/db?sslmode=require',
    ],
    ['jdbc:postgresql://app:s3cr3t-pw@db/orders', 'jdbc:postgresql://app:[REDACTED]@db/orders'],
    ['redis://:s3cr3t-pw@cache:6379', 'redis://:[REDACTED]@cache:6379'],
    ['mysql://u:p@ss@w0rd@db/x', 'mysql://u:[REDACTED]@db/x'],
  ])('masks the password of a connection string URL (%s)', (input, expected) => {
    // Act
    const out = redactString(input);

    // Assess
    expect(out).toBe(expected);
  });

  it.each([
    ['host=db port=5432 password=s3cr3t-pw dbname=orders', 'host=db port=5432 password=[REDACTED] dbname=orders'],
    ['password: s3cr3t-pw (from config)', 'password: [REDACTED] (from config)'],
    ['{"user":"app","password":"s3cr3t-pw","port":5432}', '{"user":"app","password":"[REDACTED]","port":5432}'],
    ['{"password":"s3c\\"r3t-pw"}', '{"password":"[REDACTED]"}'],
    ['{\\"password\\":\\"s3cr3t-pw\\"}', '{\\"password\\":\\"[REDACTED]\\"}'],
    ["password='s3cr3t-pw'", "password='[REDACTED]'"],
    ['PGPASSWORD=s3cr3t-pw psql -h db', 'PGPASSWORD=[REDACTED] psql -h db'],
    ['?user=app&password=s3cr3t-pw&sslmode=require', '?user=app&password=[REDACTED]&sslmode=require'],
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [REDACTED]'],
    ['aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key=[REDACTED]'],
    ['Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig', 'Authorization: Bearer [REDACTED]'],
    ['retrying with Bearer eyJhbGciOi.eyJzdWIi.sig', 'retrying with Bearer [REDACTED]'],
    ['x-api-key: abc123def', 'x-api-key: [REDACTED]'],
  ])('masks a secret written as key and value (%s)', (input, expected) => {
    // Act
    const out = redactString(input);

    // Assess
    expect(out).toBe(expected);
  });

  it.each([
    'http://writer.example.internal:8080/path@v2',
    'lag 0.4 s within RPO 30 s; 3 checks passed',
    'User: arn:aws:sts::111122223333:assumed-role/dr is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-west-1:111122223333:secret:orders-db-AbCdEf',
    "npx dr-failover approve 'AAAAKgAAAAIAAAAAAAAAAT'",
    "aws stepfunctions send-task-success --task-token 'AAAAKgAAAAIAAAAAAAAAAT' --task-output '{\"approved\":true}'",
  ])('leaves text without a secret unchanged (%s)', (input) => {
    // Act
    const out = redactString(input);

    // Assess
    expect(out).toBe(input);
  });

  it('is idempotent', () => {
    // Prepare
    const once = redactString('postgres://a:pw@h password=x {"token":"t"}');

    // Act
    const twice = redactString(once);

    // Assess
    expect(twice).toBe(once);
  });

  it('stays fast on a long string without secrets', () => {
    // Prepare
    const long = `${'a'.repeat(200_000)} ${'password'.repeat(5_000)} ${'x://'.repeat(20_000)}`;

    // Act
    const started = performance.now();
    redactString(long);
    const took = performance.now() - started;

    // Assess: the patterns' quantifiers are bounded, so the work is linear: about 5 ms here, 20 ms for four times
    // the string. A pattern that backtracked would be quadratic at least, minutes on 280,000 characters. The bound
    // sits two orders of magnitude from both, so a loaded machine cannot cross it and a backtracking pattern must.
    expect(took).toBeLessThan(2_000);
  });
});

describe('redact', () => {
  it.each([
    'password',
    'Password',
    'dbPassword',
    'PGPASSWORD',
    'passwd',
    'pass',
    'dbPass',
    'pass_phrase',
    'secret',
    'clientSecret',
    'aws_secret_access_key',
    'SecretAccessKey',
    'token',
    'sessionToken',
    'refresh_token',
    'credentials',
    'Authorization',
    'apiKey',
    'api-key',
    'API_KEY',
    'privateKey',
    'private_key',
  ])('replaces the value under the sensitive key %s', (key) => {
    // Prepare
    const value = { [key]: 's3cr3t-pw', other: 'kept' };

    // Act
    const out = redact(value);

    // Assess
    expect(out).toEqual({ [key]: REDACTED, other: 'kept' });
  });

  it.each(['checksPassed', 'passive', 'passenger', 'user', 'host', 'accessKeyId', 'keyCount'])(
    'keeps the value under the ordinary key %s',
    (key) => {
      // Act
      const out = redact({ [key]: 'visible' });

      // Assess
      expect(out).toEqual({ [key]: 'visible' });
    },
  );

  it('replaces a whole object under a sensitive key, and keeps null and undefined', () => {
    // Prepare
    const value = { credentials: { username: 'app', password: 'pw' }, password: null, token: undefined };

    // Act
    const out = redact(value);

    // Assess
    expect(out).toEqual({ credentials: REDACTED, password: null, token: undefined });
  });

  it('masks secrets in nested strings and arrays and leaves the input untouched', () => {
    // Prepare
    const value = {
      detail: { errors: ['connect postgres://app:s3cr3t-pw@db/orders failed', 42, true], when: '2026-01-01' },
    };
    const before = structuredClone(value);

    // Act
    const out = redact(value);

    // Assess
    expect(out).toEqual({
      detail: { errors: ['connect postgres://app:[REDACTED]@db/orders failed', 42, true], when: '2026-01-01' },
    });
    expect(value).toEqual(before);
    expect(out).not.toBe(value);
    expect(out.detail).not.toBe(value.detail);
  });

  it('turns an Error into name, redacted message and redacted cause', () => {
    // Prepare
    const root = Object.assign(new Error('password authentication failed: password=s3cr3t-pw'), { code: '28P01' });
    const error = new TypeError('connect postgres://app:s3cr3t-pw@db/orders', { cause: root });

    // Act
    const out = redact({ error });

    // Assess
    expect(out.error).toEqual({
      name: 'TypeError',
      message: 'connect postgres://app:[REDACTED]@db/orders',
      cause: { name: 'Error', message: 'password authentication failed: password=[REDACTED]' },
    });
    expect(JSON.stringify(out)).not.toContain('s3cr3t-pw');
  });

  it('replaces cycles with a marker so the result serialises', () => {
    // Prepare
    type Node = { name: string; self?: Node; child?: { parent?: Node } };
    const value: Node = { name: 'root' };
    value.self = value;
    value.child = { parent: value };
    const error = new Error('loop');
    error.cause = error;

    // Act
    const out = redact({ value, error });

    // Assess
    expect(out.value).toEqual({ name: 'root', self: '[Circular]', child: { parent: '[Circular]' } });
    expect(out.error).toEqual({ name: 'Error', message: 'loop', cause: '[Circular]' });
    expect(() => JSON.stringify(out)).not.toThrow();
  });

  it('copies a value shared by two branches in full rather than marking it circular', () => {
    // Prepare
    const shared = { host: 'db' };

    // Act
    const out = redact({ a: shared, b: shared });

    // Assess
    expect(out).toEqual({ a: { host: 'db' }, b: { host: 'db' } });
  });

  it('handles dates, maps, sets, URLs and primitives', () => {
    // Prepare
    const when = new Date('2026-01-01T00:00:00Z');
    const value = {
      when,
      map: new Map<string, unknown>([
        ['password', 'pw'],
        ['url', 'postgres://a:pw@h/db'],
      ]),
      set: new Set(['token=abc']),
      url: new URL('postgres://app:s3cr3t-pw@db.example/orders'),
      n: 1,
      b: false,
      big: 10n,
      nothing: null,
    };

    // Act
    const out = redact(value);

    // Assess
    expect(out.when).toEqual(when);
    expect(out.when).not.toBe(when);
    expect([...out.map]).toEqual([
      ['password', REDACTED],
      ['url', 'postgres://a:[REDACTED]@h/db'],
    ]);
    expect([...out.set]).toEqual(['token=[REDACTED]']);
    expect(out.url).toBe('postgres://app:[REDACTED]@db.example/orders');
    expect(out).toMatchObject({ n: 1, b: false, big: 10n, nothing: null });
  });

  it('redacts a bare string and passes other primitives through', () => {
    // Act & Assess
    expect(redact('password=pw')).toBe('password=[REDACTED]');
    expect(redact(5)).toBe(5);
    expect(redact(undefined)).toBeUndefined();
  });
});
