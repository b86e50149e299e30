/**
 * Shared by the offboarding acceptance tests, the held/check/init CLI tests and the offboarding
 * benchmark: GroWrk employee bodies for many distinct people, seeding the Directory emulator with
 * what a playbook removes, signed posts, an in-process CLI runner, and a bounded condition wait.
 */
import { RECORD_FIELDS } from '../../connectors/google-workspace/model.ts';
import { signBody } from '../../src/growrk/signature.ts';
import type { DirectoryUser, GoogleEmulator, UserSeed } from '../fakes/google-directory/index.ts';
import type { RecordedCall } from '../fakes/shared/recorder.ts';
import { type CliRun, runCliCaptured } from './cli.ts';
import { fixtureBodies } from './fixtures.ts';

/** The custom schema name the connector writes its suspension record into (config default). */
export const SCHEMA = 'GrowrkSync';

/** Creates the custom schema as `init` would (for tests that do not run `init` themselves). */
export function seedSchema(emu: GoogleEmulator): void {
  emu.state.addSchema({
    schemaName: SCHEMA,
    fields: RECORD_FIELDS.map(({ fieldName }) => ({ fieldName, fieldType: 'STRING' })),
  });
}

/** The e-mail of person `n`. */
export const emailOf = (n: number): string => `user${n}@example.com`;

/**
 * Seeds person `n`'s account with two third-party tokens, one app password and backup codes.
 * `linked` gives it the GroWrk id and the job fields already (an account synced before).
 */
export function seedPerson(
  emu: GoogleEmulator,
  n: number,
  over: Partial<UserSeed> = {},
  options: { linked?: boolean } = {},
): DirectoryUser {
  const linked: Partial<UserSeed> = options.linked
    ? {
        externalIds: [{ type: 'custom', customType: 'growrk', value: `emp-${n}` }],
        organizations: [{ primary: true, title: 'Software Engineer', department: 'Engineering' }],
        relations: [{ type: 'manager', value: 'maria.nunez@example.com' }],
      }
    : {};
  const user = emu.state.addUser({
    primaryEmail: emailOf(n),
    orgUnitPath: '/Engineering',
    ...linked,
    ...over,
  });
  emu.state.addToken(user.id, `client-a-${n}.apps.googleusercontent.com`);
  emu.state.addToken(user.id, `client-b-${n}.apps.googleusercontent.com`);
  emu.state.addAsp(user.id);
  emu.state.generateVerificationCodes(user.id);
  return user;
}

const templates = new Map<string, Record<string, unknown>>();

/**
 * A GroWrk employee webhook body for person `n` (id `emp-n`, e-mail `user<n>@example.com`), from
 * the sample of `type`; `edit` may change the employee or the envelope.
 */
export function employeeBody(
  type: 'employee.created' | 'employee.updated' | 'employee.offboarded',
  n: number,
  edit: (employee: Record<string, unknown>, envelope: Record<string, unknown>) => void = () => {},
): string {
  let template = templates.get(type);
  if (!template) {
    const raw = fixtureBodies().get(type);
    if (!raw) throw new Error(`no fixture ${type}`);
    template = JSON.parse(raw) as Record<string, unknown>;
    templates.set(type, template);
  }
  const envelope = structuredClone(template);
  const [first] = envelope.employees as Record<string, unknown>[];
  const employee: Record<string, unknown> = {
    ...first,
    id: `emp-${n}`,
    url: `https://app.growrk.com/companies/123/employees/emp-${n}`,
    email: emailOf(n),
    secondaryEmail: `user${n}.personal@example.net`,
    displayName: `Person ${n}`,
  };
  edit(employee, envelope);
  envelope.employees = [employee];
  return JSON.stringify(envelope);
}

/** Posts a signed body; resolves with the status and the JSON answer. */
export async function postSigned(
  baseUrl: string,
  body: string,
  secret: string,
): Promise<{ status: number; json: { id?: string; duplicate?: boolean } }> {
  const res = await fetch(`${baseUrl}/webhooks/growrk`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-growrk-signature': signBody(body, secret) },
    body,
  });
  return { status: res.status, json: (await res.json()) as { id?: string; duplicate?: boolean } };
}

/** Runs the CLI in this process with `env`; collects its output. */
export function cli(argv: string[], env: Record<string, string>): Promise<CliRun> {
  return runCliCaptured(argv, env);
}

export { until } from './wait.ts';

/** A Directory API call (not the token endpoint) that the emulator served with a 2xx. */
export function isDirectorySuccess(call: RecordedCall): boolean {
  return call.operation.startsWith('directory.') && call.status >= 200 && call.status < 300;
}

/** Directory calls that changed something (the recorder's `writes()`, Directory API only). */
export function directoryWrites(emu: GoogleEmulator): RecordedCall[] {
  return emu.recorder.writes().filter((c) => c.operation.startsWith('directory.'));
}

/** The Google user id a Directory call is about (`/users/{id}/...`), if any. */
export function userIdOfCall(call: RecordedCall): string | undefined {
  return /\/admin\/directory\/v1\/users\/([^/]+)/.exec(call.path)?.[1];
}

/** The playbook step (or `suspend`) a Directory call belongs to; undefined for reads and other writes. */
export function stepOfCall(call: RecordedCall): string | undefined {
  const op = call.operation;
  if (op === 'directory.users.patch') {
    const body = call.body as { suspended?: unknown } | undefined;
    return body?.suspended === true ? 'suspend' : undefined;
  }
  if (op === 'directory.users.signOut') return 'sign-out';
  if (op.startsWith('directory.tokens.')) return 'revoke-tokens';
  if (op.startsWith('directory.asps.')) return 'delete-app-passwords';
  if (op === 'directory.verificationCodes.invalidate') return 'invalidate-backup-codes';
  if (op === 'directory.groups.list' || op === 'directory.members.delete') return 'remove-groups';
  return undefined;
}
