/**
 * Keeps an event within what EventBridge accepts. Pure.
 *
 * PutEvents refuses a request whose entries total 256 KB or more, counting Source, DetailType and Detail by their
 * UTF-8 bytes (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html), the whole request
 * at once: a long run's timeline, or an error carrying a huge text, would lose the notification. So the event is cut
 * to fit, in this order, each step only if still needed: the earliest timeline entries (the latest say where the run
 * stopped, and the execution history keeps them all), then long strings, then everything but the error.
 */
import type { FailoverEvent } from '#core/ports.js';

/** The Detail's budget: under 256 KiB with room for Source and DetailType. */
export const MAX_EVENT_DETAIL_BYTES = 255 * 1024;

const bytesOf = (event: FailoverEvent) => Buffer.byteLength(JSON.stringify(event), 'utf8');

/** The largest `n` in [0, max] for which `fits(n)` holds, `fits` being true up to some point and false after. */
const largestFitting = (max: number, fits: (n: number) => boolean): number => {
  let [low, high] = [0, max];
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
};

/** The event with only the newest `kept` timeline entries, saying how many were left out. */
const withTimeline = (event: FailoverEvent, timeline: unknown[], kept: number): FailoverEvent => {
  if (kept >= timeline.length) return event;
  const omitted = timeline.length - kept;
  return {
    ...event,
    detail: {
      ...event.detail,
      timeline: timeline.slice(omitted),
      timelineOmitted: `${omitted} earliest of ${timeline.length} entries left out to fit EventBridge's 256 KB limit; the execution history has them all`,
    },
  };
};

/** Every string longer than `max` characters in `value`, cut to `max` and marked. */
const cutStrings = (value: unknown, max: number): unknown => {
  if (typeof value === 'string') {
    return value.length <= max ? value : `${value.slice(0, max)}... [cut to fit EventBridge's 256 KB limit]`;
  }
  if (Array.isArray(value)) return value.map((v) => cutStrings(v, max));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutStrings(v, max)]));
  }
  return value;
};

export const withinEventLimit = (event: FailoverEvent, maxBytes = MAX_EVENT_DETAIL_BYTES): FailoverEvent => {
  if (bytesOf(event) <= maxBytes) return event;
  const timeline = Array.isArray(event.detail.timeline) ? (event.detail.timeline as unknown[]) : [];
  const kept = largestFitting(timeline.length, (n) => bytesOf(withTimeline(event, timeline, n)) <= maxBytes);
  const trimmed = withTimeline(event, timeline, kept);
  if (bytesOf(trimmed) <= maxBytes) return trimmed;
  for (let max = 16 * 1024; max >= 64; max = Math.floor(max / 2)) {
    const cut = {
      ...trimmed,
      summary: cutStrings(trimmed.summary, max) as string,
      reason: cutStrings(trimmed.reason, max) as string,
      detail: cutStrings(trimmed.detail, max) as FailoverEvent['detail'],
    };
    if (bytesOf(cut) <= maxBytes) return cut;
  }
  const { error } = event.detail;
  return {
    ...event,
    summary: cutStrings(event.summary, 64) as string,
    reason: cutStrings(event.reason, 64) as string,
    detail: { error: cutStrings(error, 64), detailOmitted: 'too large for EventBridge; see the execution history' },
  };
};
