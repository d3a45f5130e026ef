/**
 * The packaged template's IAM roles as AWS would evaluate them once deployed: the intrinsic functions in their
 * policies (Fn::Sub, Ref, Fn::GetAtt, Fn::Join) resolved to the values CloudFormation gives them in one account and
 * region. A physical name CloudFormation would generate is the logical id here.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}
/** An IAM policy document, as the simulator reads it. */
export type Policy = Record<string, unknown>;

export interface Template {
  Resources: Record<string, Resource>;
}

const ACCOUNT = '111122223333';

export const resolvePolicies = (template: Template, region: string, stage: string) => {
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': ACCOUNT,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': `dr-failover-${stage}`,
  };
  const prop = (id: string, key: string): string | undefined => {
    const value = template.Resources[id]?.Properties?.[key];
    return typeof value === 'string' ? value : undefined;
  };
  /** `Ref` of a resource, per its type's documented return value. */
  const ref = (id: string): string => {
    const p = pseudo[id];
    if (p) return p;
    const type = template.Resources[id]?.Type;
    switch (type) {
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${ACCOUNT}:${prop(id, 'TopicName') ?? id}`;
      case 'AWS::Events::EventBus':
        return prop(id, 'Name') ?? id;
      case 'AWS::IAM::Role':
        return prop(id, 'RoleName') ?? id;
      case 'AWS::Lambda::Function':
        return prop(id, 'FunctionName') ?? id;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${prop(id, 'StateMachineName') ?? id}`;
      case 'AWS::Scheduler::ScheduleGroup':
        return prop(id, 'Name') ?? id;
      case 'AWS::KMS::Key':
        return id;
      default:
        throw new Error(`Ref of ${id} (${type}) is not modelled`);
    }
  };
  /** `Fn::GetAtt [id, Arn]`. */
  const arn = (id: string): string => {
    const type = template.Resources[id]?.Type;
    switch (type) {
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${ref(id)}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${ACCOUNT}:function:${ref(id)}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${region}:${ACCOUNT}:event-bus/${ref(id)}`;
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${region}:${ACCOUNT}:key/${id}`;
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
        return ref(id);
      case 'AWS::Scheduler::ScheduleGroup':
        return `arn:aws:scheduler:${region}:${ACCOUNT}:schedule-group/${ref(id)}`;
      default:
        throw new Error(`Fn::GetAtt ${id}.Arn (${type}) is not modelled`);
    }
  };
  const sub = (text: string, vars: Record<string, Json> = {}): string =>
    text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name in vars) return String(resolve(vars[name] as Json));
      if (name.endsWith('.Arn')) return arn(name.slice(0, -4));
      return ref(name);
    });
  const resolve = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    if ('Fn::Sub' in value) {
      const s = value['Fn::Sub'];
      return Array.isArray(s) ? sub(String(s[0]), (s[1] ?? {}) as Record<string, Json>) : sub(String(s));
    }
    if ('Ref' in value) return ref(String(value.Ref));
    if ('Fn::GetAtt' in value) {
      const [id, attribute] = value['Fn::GetAtt'] as [string, string];
      if (attribute !== 'Arn') throw new Error(`Fn::GetAtt ${id}.${attribute} is not modelled`);
      return arn(id);
    }
    if ('Fn::Join' in value) {
      const [sep, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((p) => String(resolve(p))).join(sep);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  };

  return {
    /** The role's inline and managed-by-reference policies, resolved. */
    policiesOf: (roleId: string): Policy[] => {
      const role = template.Resources[roleId];
      if (role?.Type !== 'AWS::IAM::Role') throw new Error(`no role ${roleId} in the template`);
      const policies = (role.Properties?.Policies ?? []) as { PolicyDocument: Json }[];
      return policies.map((p) => resolve(p.PolicyDocument) as unknown as Policy);
    },
    roleArn: (roleId: string): string => arn(roleId),
    /** A resource policy of the template (a topic's, a key's), resolved. */
    document: (value: Json): Policy => resolve(value) as unknown as Policy,
  };
};
