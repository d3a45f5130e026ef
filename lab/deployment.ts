/**
 * The local deployment: each function of the stack, by its serverless.yml name, bound to its real handler, as
 * Step Functions and EventBridge reach them once deployed. A function is its module's `handler` (its deployed
 * dependencies, AWS clients included) unless dependencies are given for it, as the drill gives Prepare its local
 * executions and Notify its local notifier. Modules are imported when first asked for, so a caller can configure
 * the environment (log level) before they load.
 */
import type { Handlers, LambdaHandler } from './state-machine.js';

const modules = {
  prepare: () => import('#functions/prepare.js'),
  failback: () => import('#functions/failback.js'),
  checkLag: () => import('#functions/check-lag.js'),
  fence: () => import('#functions/fence.js'),
  promote: () => import('#functions/promote.js'),
  promotionStatus: () => import('#functions/promotion-status.js'),
  updateDns: () => import('#functions/update-dns.js'),
  dnsStatus: () => import('#functions/dns-status.js'),
  verify: () => import('#functions/verify.js'),
  component: () => import('#functions/component.js'),
  notify: () => import('#functions/notify.js'),
};

type PrepareDeps = Parameters<Awaited<ReturnType<typeof modules.prepare>>['createHandler']>[0];
type NotifyDeps = Parameters<Awaited<ReturnType<typeof modules.notify>>['createHandler']>[0];
type TriggerDeps = Parameters<typeof import('#functions/trigger.js')['createHandler']>[0];

export interface LocalDeploymentDeps {
  prepare?: PrepareDeps;
  notify?: NotifyDeps;
}

/** The state machine's functions: what each Task of the definition invokes. */
export const localHandlers = async (deps: LocalDeploymentDeps = {}): Promise<Handlers> => {
  const [prepare, notify, ...rest] = await Promise.all([
    modules.prepare(),
    modules.notify(),
    modules.checkLag(),
    modules.fence(),
    modules.promote(),
    modules.promotionStatus(),
    modules.updateDns(),
    modules.dnsStatus(),
    modules.verify(),
    modules.component(),
    modules.failback(),
  ]);
  const [checkLag, fence, promote, promotionStatus, updateDns, dnsStatus, verify, component, failback] = rest;
  return {
    prepare: deps.prepare ? prepare.createHandler(deps.prepare) : prepare.handler,
    checkLag: checkLag.handler,
    fence: fence.handler,
    promote: promote.handler,
    promotionStatus: promotionStatus.handler,
    updateDns: updateDns.handler,
    dnsStatus: dnsStatus.handler,
    verify: verify.handler,
    component: component.handler,
    failback: failback.handler,
    notify: deps.notify ? notify.createHandler(deps.notify) : notify.handler,
  } satisfies Record<keyof typeof modules, LambdaHandler>;
};

/** The trigger, as its EventBridge rules invoke it. */
export const localTrigger = async (deps?: TriggerDeps): Promise<LambdaHandler> => {
  const trigger = await import('#functions/trigger.js');
  return deps ? trigger.createHandler(deps) : trigger.handler;
};
