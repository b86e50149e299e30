/**
 * Plain words for what the demo's emulators saw: one sentence per call that changed something
 * (reads are left out), and where each target stands at the end, from the emulators' state.
 */
import type { GoogleEmulator } from '../test/fakes/google-directory/index.ts';
import type { HubSpotEmulator } from '../test/fakes/hubspot/index.ts';
import { isWriteCall, type RecordedCall } from '../test/fakes/shared/recorder.ts';

type Json = Record<string, unknown>;

const quoted = (props: Json, skip: readonly string[] = []) =>
  Object.entries(props)
    .filter(([k, v]) => !skip.includes(k) && v !== '' && v !== null && v !== undefined)
    .map(([k, v]) => `${k} "${String(v)}"`)
    .join(', ');

/** Sentences for the calls one step caused in Google's Directory, writes only. */
export function googleWords(google: GoogleEmulator, calls: readonly RecordedCall[]): string[] {
  const email = (path: string) => {
    const id = decodeURIComponent(path.split('/users/')[1]?.split('/')[0] ?? '');
    return google.state.getUser(id)?.primaryEmail ?? id;
  };
  return calls.filter(isWriteCall).map((c) => {
    const body = (c.body ?? {}) as Json;
    const who = email(c.path);
    switch (c.operation) {
      case 'directory.users.insert':
        return `created the account ${String(body.primaryEmail)}`;
      case 'directory.users.patch':
      case 'directory.users.update':
        return patchWords(who, body);
      case 'directory.users.signOut':
        return `signed ${who} out of every session`;
      case 'directory.tokens.delete':
        return `revoked an OAuth token of ${who}`;
      case 'directory.asps.delete':
        return `deleted an app password of ${who}`;
      case 'directory.verificationCodes.invalidate':
        return `invalidated the backup codes of ${who}`;
      case 'directory.members.delete':
        return `removed ${decodeURIComponent(c.path.split('/members/')[1] ?? '')} from a group`;
      default:
        return `${c.method} ${c.operation}`;
    }
  });
}

function patchWords(who: string, body: Json): string {
  const parts: string[] = [];
  if (body.suspended === true)
    parts.push(`SUSPENDED the account ${who} (the reason is kept in its GrowrkSync record)`);
  if (body.suspended === false) parts.push(`reactivated the account ${who}`);
  if (typeof body.orgUnitPath === 'string') parts.push(`moved ${who} to ${body.orgUnitPath}`);
  const ids = (body.externalIds ?? []) as Json[];
  const growrk = ids.find((x) => x.customType === 'growrk');
  if (growrk) parts.push(`linked ${who} to GroWrk employee ${String(growrk.value)}`);
  const org = ((body.organizations ?? []) as Json[])[0];
  if (org) parts.push(`set ${who}'s ${quoted({ title: org.title, department: org.department })}`);
  const manager = ((body.relations ?? []) as Json[]).find((r) => r.type === 'manager');
  if (manager) parts.push(`set ${who}'s manager to ${String(manager.value)}`);
  return parts.length > 0 ? parts.join('; ') : `updated the account ${who}`;
}

/** Sentences for the calls one step caused in HubSpot, writes only (single and batch calls alike). */
export function hubspotWords(hubspot: HubSpotEmulator, calls: readonly RecordedCall[]): string[] {
  // When the step began: the answer of the call before its first (records made since are new).
  const first = calls[0];
  const since = first ? (hubspot.recorder.calls[first.seq - 2]?.at ?? 0) : 0;
  return calls.filter(isWriteCall).flatMap((c) => {
    const body = (c.body ?? {}) as Json;
    const inputs = (body.inputs ?? []) as Json[];
    const typeRef = c.path.split('/objects/')[1]?.split('/')[0] ?? '';
    // v4 association batches: /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/...
    const fromRef = c.path.split('/associations/')[1]?.split('/')[0] ?? '';
    const idOf = (end: unknown) => String(((end ?? {}) as Json).id ?? '');
    switch (c.operation) {
      case 'crm.objects.batch.upsert':
      case 'crm.objects.batch.create':
        return inputs.map((input) => {
          const props = (input.properties ?? {}) as Json;
          const verb =
            c.operation.endsWith('create') || createdSince(hubspot, typeRef, input, since)
              ? 'created'
              : 'updated';
          return `${verb} the ${noun(typeRef)} ${label(props)}: ${quoted(props, ['email', 'firstname', 'lastname', 'serial_number', 'growrk_employee_id', 'growrk_product_id'])}`;
        });
      case 'crm.objects.batch.update':
        return inputs.map(
          (input) =>
            `updated the ${noun(typeRef)} ${recordLabel(hubspot, typeRef, String(input.id))}: ${quoted((input.properties ?? {}) as Json)}`,
        );
      case 'crm.objects.update':
        return [
          `updated the ${noun(typeRef)} ${recordLabel(hubspot, typeRef, idInPath(c.path))}: ${quoted((body.properties ?? {}) as Json)}`,
        ];
      case 'crm.associations.batch.createDefault':
      case 'crm.associations.batch.create':
        return inputs.map(
          (input) =>
            `associated the ${noun(fromRef)} ${recordLabel(hubspot, fromRef, idOf(input.from))} with the contact ${recordLabel(hubspot, 'contacts', idOf(input.to))}`,
        );
      case 'crm.associations.batch.archive':
        return inputs.flatMap((input) =>
          ((input.to ?? []) as Json[]).map(
            (to) =>
              `removed the association of the ${noun(fromRef)} ${recordLabel(hubspot, fromRef, idOf(input.from))} with the contact ${recordLabel(hubspot, 'contacts', idOf(to))}`,
          ),
        );
      case 'crm.associations.default.create':
      case 'crm.associations.create':
        return [
          `associated the ${noun(typeRef)} ${recordLabel(hubspot, typeRef, idInPath(c.path))} with the contact ${contactOf(hubspot, c.path)}`,
        ];
      case 'crm.associations.archive':
        return [
          `removed the association of the ${noun(typeRef)} ${recordLabel(hubspot, typeRef, idInPath(c.path))} with the contact ${contactOf(hubspot, c.path)}`,
        ];
      default:
        return [`${c.method} ${c.operation}`];
    }
  });
}

const noun = (ref: string) => (ref === 'contacts' || ref === '0-1' ? 'contact' : 'asset record');

/** Whether the record an upsert input names was created after `since` (else it was updated). */
function createdSince(hubspot: HubSpotEmulator, typeRef: string, input: Json, since: number): boolean {
  const type = hubspot.state.findType(typeRef);
  const idProperty = typeof input.idProperty === 'string' ? input.idProperty : undefined;
  const record = type ? hubspot.state.find(type, String(input.id), idProperty) : undefined;
  return record ? Date.parse(record.createdAt) > since : true;
}

function label(props: Json): string {
  if (props.serial_number)
    return `${String(props.serial_number)}${props.title ? ` (${String(props.title)})` : ''}`;
  const name = [props.firstname, props.lastname].filter(Boolean).join(' ');
  return `${name}${props.email ? ` <${String(props.email)}>` : ''}`.trim();
}

/** The record id in a single-record path (`/objects/{type}/{id}/...`). */
function idInPath(path: string): string {
  return path.split('/objects/')[1]?.split('/')[1] ?? '';
}

function recordLabel(hubspot: HubSpotEmulator, typeRef: string, id: string): string {
  const type = hubspot.state.findType(typeRef);
  const record = type ? hubspot.state.find(type, id) : undefined;
  return record ? label(Object.fromEntries(record.properties)) : `#${id}`;
}

function contactOf(hubspot: HubSpotEmulator, path: string): string {
  const id = path.split('/contacts/')[1]?.split('/')[0] ?? '';
  return recordLabel(hubspot, 'contacts', id);
}

/** Where each target stands: directory accounts, contacts and asset records. */
export function describeState(google: GoogleEmulator, hubspot: HubSpotEmulator): string[] {
  const lines = google.state
    .listUsers()
    .filter((u) => !u.isAdmin)
    .map((u) => {
      const record = (u.customSchemas?.GrowrkSync ?? {}) as Json;
      const by = record.suspendedBy
        ? ` by ${String(record.suspendedBy)} at ${String(record.suspendedAt)}`
        : '';
      return `Google account ${u.primaryEmail}: ${u.suspended ? `SUSPENDED${by}` : 'active'}`;
    });
  for (const [ref, noun] of [
    ['contacts', 'contact'],
    ['growrk_asset', 'asset record'],
  ] as const) {
    const type = hubspot.state.findType(ref);
    for (const record of type ? hubspot.state.list(type) : []) {
      const props = Object.fromEntries(record.properties) as Json;
      const shown =
        noun === 'contact'
          ? { growrk_status: props.growrk_status, jobtitle: props.jobtitle }
          : { status: props.status, location: props.location };
      lines.push(`HubSpot ${noun} ${label(props)}: ${quoted(shown)}`);
    }
  }
  return lines;
}
