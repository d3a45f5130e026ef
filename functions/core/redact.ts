/**
 * Secret redaction for everything that leaves a step for people or other systems: notifications, logs, reports.
 * Pure, no I/O. Redaction is a last line of defence: plans hold secret *references*, never secrets, but error
 * messages from drivers and SDKs can still echo a connection string or a header.
 */

export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are replaced whole. `pass` only counts as a word of its own (`dbPass`, `pass_phrase`,
 * `userpass`), so `checksPassed` or `passive` are not hidden from the people reading a report.
 */
const SENSITIVE_KEY =
  /password|passwd|passphrase|passcode|pass(?![a-z])|secret|token|credential|authorization|api[-_]?key|private[-_]?key/i;

/**
 * `scheme://user:password@host`: the password is everything up to the last `@` of the authority, so an
 * unencoded `@` inside it is still hidden. Bounded quantifiers keep long strings linear.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{0,30}:\/\/[^\s:/?#@"'<>]{0,256}:)[^\s/?#"'<>]{1,1024}@/gi;

/**
 * `password=xyz`, `password: xyz`, `"password":"xyz"`, `PGPASSWORD=xyz`, `aws_secret_access_key = xyz`,
 * `Authorization: Bearer xyz`, also inside JSON that was escaped into a string (`\"password\":\"xyz\"`).
 * Only the value is replaced; the key stays so people can see what was hidden. An unquoted value after `:` needs
 * a space (`password: xyz`), so ARNs and IAM actions in error messages (`secretsmanager:GetSecretValue`,
 * `arn:aws:secretsmanager:...:secret:name`) stay readable for the person diagnosing the failure.
 */
const KEY_VALUE_QUOTED =
  /((?:password|passwd|pwd|passphrase|secret|token|credential|authorization|api[-_]?key|private[-_]?key)[\w.-]{0,40}\\?["']?\s*[:=]\s*(\\?["']))(?:\\.|(?!\2).){0,4096}?\2/gi;
const KEY_VALUE_BARE =
  /((?:password|passwd|pwd|passphrase|secret|token|credential|authorization|api[-_]?key|private[-_]?key)[\w.-]{0,40}\\?["']?(?:\s*=\s*|\s*:\s+)(?:(?:Bearer|Basic|Digest|Token)\s+)?)(?!\\?["']|\[REDACTED\])[^\s"'\\,;&}\]]{1,4096}/gi;

/** A bearer token anywhere in text (log lines, echoed headers). */
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/-]{1,4096}=*/g;

/** Masks passwords and tokens inside free text (connection strings, key=value pairs, JSON, headers). */
export const redactString = (s: string): string =>
  s
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(KEY_VALUE_QUOTED, (_m, head: string, quote: string) => `${head}${REDACTED}${quote}`)
    .replace(KEY_VALUE_BARE, `$1${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`);

const CIRCULAR = '[Circular]';

const isSensitiveKey = (key: string) => SENSITIVE_KEY.test(key);

const redactValue = (value: unknown, ancestors: Set<object>): unknown => {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return CIRCULAR;
  ancestors.add(value);
  try {
    if (value instanceof Error) {
      // Only what people need: the stack repeats the message, and SDK errors carry request metadata.
      const out: { name: string; message: string; cause?: unknown } = {
        name: value.name,
        message: redactString(value.message),
      };
      if (value.cause !== undefined) out.cause = redactValue(value.cause, ancestors);
      return out;
    }
    if (value instanceof Date) return new Date(value.getTime());
    if (Array.isArray(value)) return value.map((v) => redactValue(v, ancestors));
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of value) {
        out.set(k, typeof k === 'string' && isSensitiveKey(k) && v != null ? REDACTED : redactValue(v, ancestors));
      }
      return out;
    }
    if (value instanceof Set) return new Set([...value].map((v) => redactValue(v, ancestors)));
    // URL, Decimal and the like: redact what they would serialise to.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return redactValue(toJSON.call(value), ancestors);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // null/undefined stay as they are: "no password configured" is useful to know and reveals nothing.
      out[k] = isSensitiveKey(k) && v != null ? REDACTED : redactValue(v, ancestors);
    }
    return out;
  } finally {
    // Only the current path counts: a value shared by two branches is copied twice, not marked circular.
    ancestors.delete(value);
  }
};

/**
 * A deep copy with secrets removed: values under sensitive keys become `[REDACTED]`, passwords inside strings
 * are masked, Errors become `{ name, message, cause }` and cycles become `[Circular]`, so the result is always
 * safe to `JSON.stringify`. The static type is kept for convenience; Errors and class instances come back as
 * plain objects.
 */
export const redact = <T>(value: T): T => redactValue(value, new Set()) as T;
