/**
 * S3 bucket names, on their own so the plan schemas can use them without reaching the ports (artifacts.ts does).
 */
import * as z from 'zod';

/** S3 bucket names: 3–63 lowercase letters, digits, dots and hyphens (S3 User Guide, bucket naming rules). */
export const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const bucketName = z
  .string()
  .regex(BUCKET, 'must be an S3 bucket name (3-63 lowercase letters, digits, . and -)');
