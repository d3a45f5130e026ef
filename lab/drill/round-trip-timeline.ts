/**
 * The round trip on one time axis (timeline.svg): the way out's steps, the old primary's return (preserved,
 * fenced, its ledger read) and its rebuild to lag 0, then the way back's steps, each leg with its own RTO bar and
 * a marker where its incident was (the kill; the failback request). Time zero is the kill.
 */
import type { RunModel, StepRun } from '#report/model.js';
import { type TimelineExtras, timelineSvg } from '#report/timeline.js';
import type { RoundTripReport } from './round-trip.js';
import { runModelFromDrill } from './run-model.js';
import type { DrillReport } from './types.js';

const legSteps = (leg: DrillReport, prefix: string, offsetMs: number): StepRun[] =>
  runModelFromDrill(leg).steps.map((s) => ({
    ...s,
    name: `${prefix} · ${s.name}`,
    startMs: s.startMs + offsetMs,
    ...(s.endMs !== undefined ? { endMs: s.endMs + offsetMs } : {}),
  }));

/** The steps between the legs, where the report says when they happened (reports before that have none). */
const betweenSteps = (r: RoundTripReport, zero: number): StepRun[] => {
  const steps: StepRun[] = [];
  const add = (name: string, at: string | undefined, ms: number | undefined, outcome: string) => {
    if (at === undefined || ms === undefined) return;
    const startMs = Date.parse(at) - zero;
    steps.push({ name, kind: 'task', startMs, endMs: startMs + ms, attempts: 1, failures: [], outcome });
  };
  if (r.returned) {
    const lost = r.ledgerCheck ? `${r.ledgerCheck.acknowledged.length} acknowledged commit(s) in the ledger` : '';
    add('old primary back, fenced; ledger', r.returned.at, r.returned.ms, lost);
  }
  if (r.rebuild)
    add('rebuilt as standby, lag 0', r.rebuild.at, r.rebuild.ms, `replayed ${r.rebuild.catchUp.replayLsn}`);
  return steps;
};

const legWords = (name: string, leg: DrillReport | undefined) =>
  leg
    ? `${name}${leg.outcome === 'succeeded' ? '' : ` ${leg.outcome.toUpperCase()}`}` +
      `${leg.rto ? ` RTO ${leg.rto.ms} ms` : ''}, RPO ${leg.rpo ? `${leg.rpo.lostCount}/${leg.rpo.acknowledgedByOldPrimary}` : '—'}`
    : `${name} not reached`;

/** The chart's heading: both legs' outcome, RTO and RPO (lost/acknowledged), and the ledger against the workload. */
const headingOf = (r: RoundTripReport): string =>
  `round trip ${r.outcome}: ${legWords('out', r.out)} · ${legWords('back', r.back)}` +
  (r.ledgerCheck ? ` · ledger ${r.ledgerCheck.matches ? 'agrees with' : 'DISAGREES with'} the workload` : '');

/** One model of both legs: the way out's model, with the other steps on its time axis, no single RTO nor target. */
export const roundTripTimeline = (r: RoundTripReport): { model: RunModel; extras: TimelineExtras } => {
  const zero = Date.parse(r.out.incident.at);
  const backAt = r.back ? Date.parse(r.back.incident.at) - zero : undefined;
  const out = runModelFromDrill(r.out);
  // Each leg's RTO is its own bar; each leg's target is its own (in the report), so no single target line either.
  const { rto: _single, plan: _plan, ...model } = out;
  const rtos: NonNullable<TimelineExtras['rtos']> = [];
  if (r.out.rto) rtos.push({ row: 'RTO out', startMs: 0, ms: r.out.rto.ms });
  if (r.back?.rto && backAt !== undefined) rtos.push({ row: 'RTO back', startMs: backAt, ms: r.back.rto.ms });
  return {
    model: {
      ...model,
      steps: [
        ...legSteps(r.out, 'out', 0),
        ...betweenSteps(r, zero),
        ...(r.back && backAt !== undefined ? legSteps(r.back, 'back', backAt) : []),
      ],
    },
    extras: { rtos, marks: backAt !== undefined ? [{ atMs: backAt, label: 'failback requested' }] : [] },
  };
};

export const roundTripTimelineSvg = (r: RoundTripReport): string => {
  const { model, extras } = roundTripTimeline(r);
  return timelineSvg(model, headingOf(r), extras);
};
