/** `plans`: list the DR plans; `plans validate [files...]`: validate them, with the path of every bad field. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { PlanValidationError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import { loadPlanCatalog, loadPlanFile } from '#lib/plan-catalog.js';
import { type CommandContext, colourEnabled, paint, plansDirOf } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { fitTable } from './table.js';

const summary = (p: Plan) => ({
  name: p.name,
  description: p.description,
  database: p.database.kind,
  primaryRegion: p.regions.primary,
  standbyRegion: p.regions.standby,
  rtoTargetSeconds: p.rto.targetSeconds,
  rpoMaxLagSeconds: p.rpo.maxLagSeconds,
  onLagExceeded: p.rpo.onExceeded,
  automatic: p.trigger.automatic,
  alarms: p.trigger.alarms,
  dnsRecord: p.dns.recordName,
});

const planFiles = (dir: string): string[] => {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
      .sort()
      .map((f) => join(dir, f));
  } catch (error) {
    throw new CliError(`cannot read the plans folder ${dir}: ${(error as Error).message}`, EXIT.badInput, {
      cause: error,
    });
  }
};

interface FileResult {
  file: string;
  valid: boolean;
  plan?: string;
  issues: { path: string; message: string }[];
}

export const registerPlans = (program: Command, { deps, setExit }: CommandContext): void => {
  const plans = program
    .command('plans')
    .enablePositionalOptions()
    .description('list the DR plans (name, database, regions, RTO target, RPO limit, trigger)')
    .option('--plans-dir <dir>', 'where plans are read (default ./plans or PLANS_DIR)')
    .option('--json', 'print JSON')
    .action((opts: { plansDir?: string; json?: boolean }) => {
      const dir = plansDirOf(opts, deps.env);
      let catalog: ReadonlyMap<string, Plan>;
      try {
        catalog = loadPlanCatalog(dir);
      } catch (error) {
        if (error instanceof PlanValidationError) {
          throw new CliError(`${error.message} (run \`dr-failover plans validate\` for every problem)`, EXIT.badInput, {
            cause: error,
          });
        }
        throw new CliError(`cannot read the plans in ${dir}: ${(error as Error).message}`, EXIT.badInput, {
          cause: error,
        });
      }
      const list = [...catalog.values()].map(summary);
      if (opts.json) {
        deps.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      } else if (list.length === 0) {
        deps.stdout.write(`no plans in ${dir}\n`);
      } else {
        deps.stdout.write(
          fitTable(
            ['plan', 'database', 'regions', 'RTO target', 'RPO limit', 'lag exceeded', 'trigger'],
            list.map((p) => [
              p.name,
              p.database,
              `${p.primaryRegion} → ${p.standbyRegion}`,
              `${p.rtoTargetSeconds} s`,
              `${p.rpoMaxLagSeconds} s`,
              p.onLagExceeded,
              `${p.automatic ? 'automatic' : 'approval'}: ${p.alarms.join(', ')}`,
            ]),
            deps.stdout,
          ),
        );
      }
      setExit(EXIT.ok);
    });

  plans
    .command('validate [files...]')
    .description('validate plan files (default: every plan in the plans folder); prints the path of every problem')
    .option('--plans-dir <dir>', 'where plans are read (default ./plans or PLANS_DIR)')
    .option('--json', 'print JSON')
    .action((files: string[], opts: { plansDir?: string; json?: boolean }) => {
      const targets = files.length > 0 ? files : planFiles(plansDirOf(opts, deps.env));
      const results: FileResult[] = targets.map((file) => {
        try {
          const plan = loadPlanFile(file);
          return { file, valid: true, plan: plan.name, issues: [] };
        } catch (error) {
          if (error instanceof PlanValidationError) return { file, valid: false, issues: [...error.issues] };
          return { file, valid: false, issues: [{ path: '', message: (error as Error).message }] };
        }
      });
      // Two files of one folder naming the same plan: the catalogue would refuse to load.
      if (files.length === 0) {
        const seen = new Map<string, string>();
        for (const r of results) {
          if (!r.plan) continue;
          const other = seen.get(r.plan);
          if (other) {
            r.valid = false;
            r.issues.push({ path: 'name', message: `duplicate plan name ${r.plan} (also in ${other})` });
          } else seen.set(r.plan, r.file);
        }
      }
      const ok = results.every((r) => r.valid);
      if (opts.json) {
        deps.stdout.write(`${JSON.stringify({ valid: ok, files: results }, null, 2)}\n`);
      } else {
        const p = paint(colourEnabled(deps.stdout, deps.env));
        if (results.length === 0) deps.stdout.write('no plan files found\n');
        for (const r of results) {
          if (r.valid) {
            deps.stdout.write(`${p.green('✓')} ${r.file} (plan ${r.plan})\n`);
            continue;
          }
          deps.stdout.write(`${p.red('✗')} ${r.file}\n`);
          for (const i of r.issues) deps.stdout.write(`    ${p.bold(i.path || '(root)')}: ${i.message}\n`);
        }
        deps.stdout.write(
          ok
            ? `${results.length} plan(s) valid\n`
            : `${results.filter((r) => !r.valid).length} of ${results.length} plan(s) invalid\n`,
        );
      }
      setExit(ok && results.length > 0 ? EXIT.ok : EXIT.badInput);
    });
};
