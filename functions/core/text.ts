import * as z from 'zod';

/**
 * Characters no free-text field may hold: C0 and C1 controls (terminal escapes, NUL, line breaks), the Unicode
 * line and paragraph separators, and the bidirectional overrides and isolates that make a notification or a
 * report read differently from what it says (`alice\u202Eexample` shows as another name).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const UNSAFE_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A bounded, printable, non-blank string: what people type into reasons, names and descriptions. */
export const cleanText = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => s.trim() !== '', 'must not be blank')
    .refine((s) => !UNSAFE_CHARACTER.test(s), 'must not contain control characters')
    // A lone surrogate (`"\ud800"` in JSON) cannot be encoded as UTF-8: SNS and log sinks would mangle it.
    .refine((s) => !/\p{Cs}/u.test(s), 'must be well-formed Unicode');

/** Every run of the characters UNSAFE_CHARACTER refuses. */
const UNSAFE_RUNS = new RegExp(`${UNSAFE_CHARACTER.source}+`, 'g');

/**
 * Free text from outside (an alarm's reason) made acceptable to `cleanText(max)`: runs of unsafe characters become
 * one space, a lone surrogate U+FFFD, and the text is cut to `max` UTF-16 units without splitting a surrogate pair.
 * '' when nothing printable is left (which `cleanText` refuses: the caller decides what to say instead).
 */
export const toCleanText = (text: string, max: number): string => {
  const clean = text
    .replace(/\p{Cs}/gu, '\ufffd')
    .replace(UNSAFE_RUNS, ' ')
    .trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  return (/[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut).trimEnd();
};

/**
 * A JSON document Step Functions hands over (an execution's input or output, a state's output), parsed; undefined
 * when absent or not JSON (StartExecution refuses input that is not JSON, so only a truncated or foreign text is).
 */
export const parseJson = (text: string | null | undefined): unknown => {
  if (text === undefined || text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
