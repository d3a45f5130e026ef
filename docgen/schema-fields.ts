/**
 * Walks a zod 4 schema into a flat list of fields (dotted path, type, default, constraints), for docs/plans.md.
 * It reads the schema's own definition (`_zod.def`, the documented surface for tools built on zod 4), so the
 * constraint messages the schema already carries ("must be an AWS region such as eu-west-1") become the docs'
 * words, which z.toJSONSchema would drop.
 */
import type * as z from 'zod';

type Schema = z.core.$ZodType;

/** Where a field lives inside a union: `database.kind = rds-instance`, or a form of a plain union. */
export interface Variant {
  /** Dotted path of the union itself. */
  path: string;
  /** `kind = rds-instance` for a discriminated union, `{ env }` for a plain one. */
  label: string;
}

export interface FieldInfo {
  /** Dotted path from the root, without variant markers: `database.primary.host`. */
  path: string;
  /** The unions this field lies inside, outermost first (empty outside unions). */
  variants: Variant[];
  type: string;
  required: boolean;
  /** Present when the schema supplies one; JSON as written in a plan. */
  defaultValue?: unknown;
  constraints: string[];
  /** Objects and unions have children; they are listed after the parent. */
  container: boolean;
}

const defOf = (s: Schema) => s._zod.def;

/** The message a check or refinement was given, if it was given one. */
const messageOf = (def: { error?: unknown }): string | undefined => {
  if (typeof def.error !== 'function') return undefined;
  // Messages given as strings become `() => message`; the argument is not read then.
  const out: unknown = (def.error as (issue: unknown) => unknown)(undefined);
  if (typeof out === 'string') return out;
  if (out && typeof out === 'object' && 'message' in out && typeof out.message === 'string') return out.message;
  return undefined;
};

const code = (v: string) => `\`${v}\``;

/** Describes one check in words, preferring the message the schema gives it. */
const describeCheck = (check: z.core.$ZodCheck, isArray: boolean): string | undefined => {
  const def = check._zod.def as z.core.$ZodCheckDef & Record<string, unknown>;
  const message = messageOf(def);
  switch (def.check) {
    case 'number_format':
      return undefined; // rendered as the type `integer`
    case 'greater_than':
      return message ?? `${def.inclusive ? '≥' : '>'} ${String(def.value)}`;
    case 'less_than':
      return message ?? `${def.inclusive ? '≤' : '<'} ${String(def.value)}`;
    case 'min_length':
      if (message) return message;
      if (isArray) return `at least ${String(def.minimum)} items`;
      return def.minimum === 1 ? 'must not be empty' : `at least ${String(def.minimum)} characters`;
    case 'max_length':
      return message ?? `at most ${String(def.maximum)} ${isArray ? 'items' : 'characters'}`;
    case 'string_format':
      return message ?? (def.pattern instanceof RegExp ? `matches ${code(def.pattern.source)}` : String(def.format));
    case 'custom':
      return message;
    default:
      return message ?? def.check;
  }
};

const literalText = (v: unknown) => code(typeof v === 'string' ? v : JSON.stringify(v));

interface Unwrapped {
  schema: Schema;
  required: boolean;
  defaultValue?: unknown;
}

/** Peels optional and default wrappers off a field. */
const unwrap = (schema: Schema): Unwrapped => {
  let s = schema;
  let required = true;
  let defaultValue: unknown;
  let hasDefault = false;
  for (;;) {
    const def = defOf(s);
    if (def.type === 'optional') {
      required = false;
      s = (def as z.core.$ZodOptionalDef).innerType;
    } else if (def.type === 'default') {
      const d = def as z.core.$ZodDefaultDef;
      if (!hasDefault) {
        defaultValue = d.defaultValue;
        hasDefault = true;
      }
      required = false;
      s = d.innerType;
    } else {
      return hasDefault ? { schema: s, required, defaultValue } : { schema: s, required };
    }
  }
};

const objectShape = (s: Schema): Record<string, Schema> | undefined => {
  const def = defOf(s);
  return def.type === 'object' ? ((def as z.core.$ZodObjectDef).shape as Record<string, Schema>) : undefined;
};

/** The type of a leaf or container in words. */
const typeOf = (s: Schema): string => {
  const def = defOf(s);
  switch (def.type) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return (def.checks ?? []).some((c) => c._zod.def.check === 'number_format') ? 'integer' : 'number';
    case 'enum':
      return `one of ${Object.values((def as z.core.$ZodEnumDef).entries)
        .map(literalText)
        .join(', ')}`;
    case 'literal':
      return (def as z.core.$ZodLiteralDef<z.core.util.Literal>).values.map(literalText).join(' or ');
    case 'array':
      return `list of ${typeOf(unwrap((def as z.core.$ZodArrayDef).element).schema)}`;
    case 'object':
      return 'object';
    case 'union': {
      const u = def as z.core.$ZodDiscriminatedUnionDef;
      if (u.discriminator) return `object, by ${code(u.discriminator)}`;
      const options = u.options as Schema[];
      if (!options.some((o) => objectShape(o))) return [...new Set(options.map(typeOf))].join(' or ');
      return `one of ${options.map((o) => code(formLabel(o))).join(', ')}`;
    }
    default:
      return def.type;
  }
};

const checksOf = (s: Schema): string[] => {
  const def = defOf(s);
  if (def.type === 'union') {
    // A union of plain values (a name or an ARN): its own message says it in one phrase; else each option's.
    const options = (def as z.core.$ZodUnionDef).options as Schema[];
    if (options.some((o) => objectShape(o))) return [];
    const message = messageOf(def as { error?: unknown });
    if (message) return [message];
    return [options.map((o) => checksOf(o).join(', ')).join('; or ')];
  }
  const isArray = def.type === 'array';
  const own = (def.checks ?? []).map((c) => describeCheck(c, isArray)).filter((x): x is string => !!x);
  if (def.type === 'array') {
    const element = unwrap((def as z.core.$ZodArrayDef).element).schema;
    return [...own, ...checksOf(element).map((c) => `each: ${c}`)];
  }
  return own;
};

/** A plain union's form, named by its keys: `{ secretsManager }`. */
const formLabel = (option: Schema): string => {
  const shape = objectShape(option);
  return shape ? `{ ${Object.keys(shape).join(', ')} }` : typeOf(option);
};

export interface SchemaDocs {
  fields: FieldInfo[];
  /** Each union option, with the rules its own refinements state (`recordName must lie inside zoneName`). */
  variants: (Variant & { rules: string[] })[];
  /** Refinements of the root object, by message (rules that span fields and carry a fixed message). */
  rootRules: string[];
}

/**
 * Every field of an object schema, parents before children, in the schema's own order. Fields of a union's
 * options carry their variant; a field path shared by several options is listed once per option.
 */
export const schemaFields = (root: Schema): SchemaDocs => {
  const fields: FieldInfo[] = [];
  const variants: SchemaDocs['variants'] = [];

  const walkObject = (s: Schema, prefix: string, within: Variant[]) => {
    for (const [key, child] of Object.entries(objectShape(s) ?? {})) visit(child, `${prefix}${key}`, within);
  };

  const visit = (field: Schema, path: string, within: Variant[]) => {
    const u = unwrap(field);
    const s = u.schema;
    const def = defOf(s);
    const isObject = def.type === 'object';
    fields.push({
      path,
      variants: within,
      type: typeOf(s),
      required: u.required,
      ...('defaultValue' in u ? { defaultValue: u.defaultValue } : {}),
      // An object's own refinements are rules between its fields; they are listed with the object.
      constraints: checksOf(s),
      container: isObject || def.type === 'union',
    });
    if (isObject) walkObject(s, `${path}.`, within);
    if (def.type !== 'union') return;
    const union = def as z.core.$ZodDiscriminatedUnionDef;
    for (const option of union.options as Schema[]) {
      if (!objectShape(option)) continue;
      const tag = union.discriminator ? objectShape(option)?.[union.discriminator] : undefined;
      const label =
        union.discriminator && tag
          ? `${union.discriminator} = ${(defOf(tag) as z.core.$ZodLiteralDef<z.core.util.Literal>).values.map(String).join(' | ')}`
          : formLabel(option);
      const own: Variant = { path, label };
      variants.push({ ...own, rules: checksOf(option) });
      walkObject(option, `${path}.`, [...within, own]);
    }
  };

  walkObject(unwrap(root).schema, '', []);
  return { fields, variants, rootRules: checksOf(unwrap(root).schema) };
};
