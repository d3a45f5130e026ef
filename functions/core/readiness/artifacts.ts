/**
 * Readiness of the model-artifact check (plan `artifacts`): the check a planned run would make at its gate, made
 * now, read only. CRITICAL when the registry query does not run, when a listed artifact's bucket has no replica in
 * the plan's map, or when a planned run would be blocked (onMissing: block); WARN when the query returns no rows
 * (nothing would be checked), when the list is cut at maxArtifacts, or when problems would only be reported. Artifacts
 * still replicating within their bucket's limit (`in-flight`) are what healthy replication looks like: OK.
 */
import type { ArtifactCheckRecord } from '../artifact-run.js';
import { artifactSummary } from '../artifact-run.js';
import { onlyInFlight } from '../artifacts.js';
import type { Plan } from '../plan.js';
import type { CheckOutcome } from './model.js';

export const evaluateArtifacts = (plan: Plan, r: ArtifactCheckRecord): CheckOutcome => {
  const details = { checked: r.checked, truncated: r.truncated, problems: r.problems.slice(0, 20) };
  const summary = artifactSummary(r);
  if (r.checked === 0 && r.problems.length > 0) {
    return { status: 'CRITICAL', summary: `the registry query did not run: ${summary}`, details };
  }
  if (r.checked === 0) {
    return { status: 'WARN', summary: 'the registry query returned no rows: a run would check nothing', details };
  }
  const unmapped = [...new Set(r.problems.filter((p) => p.verdict === 'unmapped').map((p) => p.detail))];
  if (unmapped.length > 0) return { status: 'CRITICAL', summary: unmapped.join('; '), details };
  if (r.problems.length > 0 && onlyInFlight(r)) {
    // Replication is allowed its limit: artifacts younger than it are on their way, and a planned run goes on.
    return { status: r.truncated ? 'WARN' : 'OK', summary: `${summary}: still replicating within its limits`, details };
  }
  if (r.problems.length > 0) {
    const block = plan.artifacts?.onMissing !== 'report';
    return {
      status: block ? 'CRITICAL' : 'WARN',
      summary: `${summary}${block ? ': a planned run would be blocked now' : ': a run would report them'}`,
      details,
    };
  }
  return { status: r.truncated ? 'WARN' : 'OK', summary, details };
};
