/** The CloudFormation shapes the wiring writes, and the few helpers every part of it uses. */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: Json[];
  Condition?: Json;
}

export const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** `orders-eu` → `OrdersEu`: a plan or resource name as part of a logical id or a Sid. */
export const camelPascal = (name: string) => pascal(name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()));

export const sub = (template: string): Json => ({ 'Fn::Sub': template });
