/**
 * The Snipe-IT contract as the emulator checks it: the vendor's OpenAPI file
 * (test/fakes/contracts/snipe-it/), with the places where the file and Snipe-IT's code disagree
 * written down as rules below, each with its reason (README.md lists them). Where they disagree,
 * the code wins: a request the code accepts is not a violation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ContractViolation, type JsonObject, OpenApiValidator } from '../shared/openapi.ts';

/** The OpenAPI file's paths are relative to this base (its `servers` entry). */
export const API_BASE = '/api/v1';

const SPEC = join(import.meta.dirname, '..', 'contracts', 'snipe-it', 'snipe-it-rest-api.openapi.json');

/** One way the OpenAPI file is stricter than the code, and why the code is right. */
export interface CodeDifference {
  /** `METHOD template` the rule applies to. */
  operations: readonly string[];
  /** Whether a violation the file reports is forgiven by this rule. */
  forgives(violation: ContractViolation): boolean;
  reason: string;
}

/** The differences between the OpenAPI file and the code (see README.md). */
export const CODE_DIFFERENCES: readonly CodeDifference[] = [
  {
    operations: ['POST /hardware', 'PATCH /hardware/{id}', 'PUT /hardware/{id}'],
    forgives: (v) => /^_snipeit_[a-z0-9_]+$/.test(v.field) && v.message === 'unrecognized field',
    reason:
      'Custom fields are sent as top-level keys named by their column (_snipeit_<slug>_<id>); the file lists none. The emulator checks them against the model fieldset instead, as MayContainCustomFields does.',
  },
  {
    operations: ['PUT /hardware/{id}'],
    forgives: (v) =>
      ['asset_tag', 'status_id', 'model_id'].includes(v.field) && v.message === 'required field is missing',
    reason:
      'UpdateAssetRequest removes `required` from model_id, status_id and asset_tag: updates are partial.',
  },
  {
    operations: ['POST /hardware/{id}/checkout', 'POST /hardware/{id}/checkin'],
    forgives: (v) => v.field === 'status_id' && v.message === 'required field is missing',
    reason:
      'AssetCheckoutRequest and the checkin code take status_id as optional (it keeps the current status).',
  },
  {
    operations: ['POST /hardware/{id}/checkin'],
    forgives: (v) => v.field === '(body)' && v.message === 'request body is required',
    reason: 'Every checkin field is optional, so an empty body is a valid checkin.',
  },
];

/** A validator over the Snipe-IT OpenAPI file. */
export function snipeItValidator(): OpenApiValidator {
  const document = JSON.parse(readFileSync(SPEC, 'utf8')) as JsonObject;
  return new OpenApiValidator([{ name: 'snipe-it', document }]);
}

/** The violations the code would also refuse: the file's, minus those a code difference forgives. */
export function realViolations(
  operation: string,
  violations: readonly ContractViolation[],
): ContractViolation[] {
  const rules = CODE_DIFFERENCES.filter((d) => d.operations.includes(operation));
  return violations.filter((v) => !rules.some((rule) => rule.forgives(v)));
}
