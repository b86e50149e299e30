/**
 * The operations the emulator serves: OpenAPI path template -> operation name, scopes, handler.
 * Contact paths of crm-contacts-v3.json (`/crm/v3/objects/contacts/...`) are served by the generic
 * object handlers with `objectType` set to `contacts`.
 */
import { objectScopes, propertyScopes, type ScopeNeed, schemaScopes } from './auth.ts';
import * as assoc from './handlers/associations.ts';
import * as batch from './handlers/batch.ts';
import * as objects from './handlers/objects.ts';
import * as props from './handlers/properties.ts';
import * as schemas from './handlers/schemas.ts';
import { searchObjects } from './handlers/search.ts';
import type { Handler } from './handlers/types.ts';
import type { CrmState } from './state.ts';

/** One served operation. */
export interface Route {
  method: string;
  /** The OpenAPI path template. */
  path: string;
  /** The name calls are recorded under, e.g. `crm.objects.batch.upsert`. */
  operation: string;
  /** Counted against the per-second search limit. */
  search?: boolean;
  scopes: (state: CrmState, params: Readonly<Record<string, string>>) => ScopeNeed[];
  handler: Handler;
}

type Access = 'read' | 'write';

function objectsOf(access: Access, ...names: string[]): Route['scopes'] {
  return (state, params) => names.flatMap((n) => objectScopes(state.findType(params[n] ?? ''), access));
}

function propertiesOf(access: Access): Route['scopes'] {
  return (state, params) => propertyScopes(state.findType(params.objectType ?? ''), access);
}

const OBJ = '/crm/v3/objects/{objectType}';
const PROPS = '/crm/v3/properties/{objectType}';
const SCHEMAS = '/crm-object-schemas/v3/schemas';
const V4_OBJ = '/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}';
const V4_BATCH = '/crm/v4/associations/{fromObjectType}/{toObjectType}/batch';
const LABELS = '/crm/associations/v4/{fromObjectType}/{toObjectType}/labels';

function r(
  method: string,
  path: string,
  operation: string,
  scopes: Route['scopes'],
  handler: Handler,
  search = false,
): Route {
  return { method, path, operation, scopes, handler, ...(search ? { search } : {}) };
}

/** Every served operation. */
export const ROUTES: readonly Route[] = [
  r('POST', OBJ, 'crm.objects.create', objectsOf('write', 'objectType'), objects.createObject),
  r('GET', OBJ, 'crm.objects.list', objectsOf('read', 'objectType'), objects.listObjects),
  r('GET', `${OBJ}/{objectId}`, 'crm.objects.get', objectsOf('read', 'objectType'), objects.getObject),
  r(
    'PATCH',
    `${OBJ}/{objectId}`,
    'crm.objects.update',
    objectsOf('write', 'objectType'),
    objects.updateObject,
  ),
  r(
    'DELETE',
    `${OBJ}/{objectId}`,
    'crm.objects.archive',
    objectsOf('write', 'objectType'),
    objects.archiveObject,
  ),
  r(
    'POST',
    `${OBJ}/batch/create`,
    'crm.objects.batch.create',
    objectsOf('write', 'objectType'),
    batch.batchCreate,
  ),
  r('POST', `${OBJ}/batch/read`, 'crm.objects.batch.read', objectsOf('read', 'objectType'), batch.batchRead),
  r(
    'POST',
    `${OBJ}/batch/update`,
    'crm.objects.batch.update',
    objectsOf('write', 'objectType'),
    batch.batchUpdate,
  ),
  r(
    'POST',
    `${OBJ}/batch/upsert`,
    'crm.objects.batch.upsert',
    objectsOf('write', 'objectType'),
    batch.batchUpsert,
  ),
  r(
    'POST',
    `${OBJ}/batch/archive`,
    'crm.objects.batch.archive',
    objectsOf('write', 'objectType'),
    batch.batchArchive,
  ),
  r('POST', `${OBJ}/search`, 'crm.objects.search', objectsOf('read', 'objectType'), searchObjects, true),

  r('GET', PROPS, 'crm.properties.list', propertiesOf('read'), props.listProperties),
  r('POST', PROPS, 'crm.properties.create', propertiesOf('write'), props.createProperty),
  r('GET', `${PROPS}/{propertyName}`, 'crm.properties.get', propertiesOf('read'), props.getProperty),
  r('PATCH', `${PROPS}/{propertyName}`, 'crm.properties.update', propertiesOf('write'), props.updateProperty),
  r(
    'DELETE',
    `${PROPS}/{propertyName}`,
    'crm.properties.archive',
    propertiesOf('write'),
    props.archiveProperty,
  ),
  r(
    'POST',
    `${PROPS}/batch/create`,
    'crm.properties.batch.create',
    propertiesOf('write'),
    props.batchCreateProperties,
  ),
  r(
    'POST',
    `${PROPS}/batch/read`,
    'crm.properties.batch.read',
    propertiesOf('read'),
    props.batchReadProperties,
  ),
  r(
    'POST',
    `${PROPS}/batch/archive`,
    'crm.properties.batch.archive',
    propertiesOf('write'),
    props.batchArchiveProperties,
  ),
  r('GET', `${PROPS}/groups`, 'crm.properties.groups.list', propertiesOf('read'), props.listGroups),
  r('POST', `${PROPS}/groups`, 'crm.properties.groups.create', propertiesOf('write'), props.createGroup),
  r('GET', `${PROPS}/groups/{groupName}`, 'crm.properties.groups.get', propertiesOf('read'), props.getGroup),
  r(
    'PATCH',
    `${PROPS}/groups/{groupName}`,
    'crm.properties.groups.update',
    propertiesOf('write'),
    props.updateGroup,
  ),
  r(
    'DELETE',
    `${PROPS}/groups/{groupName}`,
    'crm.properties.groups.archive',
    propertiesOf('write'),
    props.archiveGroup,
  ),

  r('GET', SCHEMAS, 'crm.schemas.list', () => schemaScopes('read'), schemas.listSchemas),
  r('POST', SCHEMAS, 'crm.schemas.create', () => schemaScopes('write'), schemas.createSchema),
  r(
    'POST',
    `${SCHEMAS}/batch/read`,
    'crm.schemas.batch.read',
    () => schemaScopes('read'),
    schemas.batchReadSchemas,
  ),
  r('GET', `${SCHEMAS}/{objectType}`, 'crm.schemas.get', () => schemaScopes('read'), schemas.getSchema),
  r(
    'PATCH',
    `${SCHEMAS}/{objectType}`,
    'crm.schemas.update',
    () => schemaScopes('write'),
    schemas.updateSchema,
  ),
  r(
    'DELETE',
    `${SCHEMAS}/{objectType}`,
    'crm.schemas.archive',
    () => schemaScopes('write'),
    schemas.archiveSchema,
  ),
  r(
    'POST',
    `${SCHEMAS}/{objectType}/associations`,
    'crm.schemas.associations.create',
    () => schemaScopes('write'),
    schemas.createAssociationDefinition,
  ),
  r(
    'DELETE',
    `${SCHEMAS}/{objectType}/associations/{associationIdentifier}`,
    'crm.schemas.associations.archive',
    () => schemaScopes('write'),
    schemas.archiveAssociationDefinition,
  ),

  r(
    'PUT',
    '/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}',
    'crm.associations.default.create',
    objectsOf('write', 'fromObjectType', 'toObjectType'),
    assoc.createDefaultAssociation,
  ),
  r(
    'PUT',
    `${V4_OBJ}/{toObjectId}`,
    'crm.associations.create',
    objectsOf('write', 'objectType', 'toObjectType'),
    assoc.createAssociation,
  ),
  r(
    'GET',
    V4_OBJ,
    'crm.associations.list',
    objectsOf('read', 'objectType', 'toObjectType'),
    assoc.listAssociations,
  ),
  r(
    'DELETE',
    `${V4_OBJ}/{toObjectId}`,
    'crm.associations.archive',
    objectsOf('write', 'objectType', 'toObjectType'),
    assoc.archiveAssociation,
  ),
  r(
    'POST',
    `${V4_BATCH}/create`,
    'crm.associations.batch.create',
    objectsOf('write', 'fromObjectType', 'toObjectType'),
    assoc.batchCreateAssociations,
  ),
  r(
    'POST',
    `${V4_BATCH}/associate/default`,
    'crm.associations.batch.createDefault',
    objectsOf('write', 'fromObjectType', 'toObjectType'),
    assoc.batchCreateDefaultAssociations,
  ),
  r(
    'POST',
    `${V4_BATCH}/read`,
    'crm.associations.batch.read',
    objectsOf('read', 'fromObjectType', 'toObjectType'),
    assoc.batchReadAssociations,
  ),
  r(
    'POST',
    `${V4_BATCH}/archive`,
    'crm.associations.batch.archive',
    objectsOf('write', 'fromObjectType', 'toObjectType'),
    assoc.batchArchiveAssociations,
  ),
  r(
    'POST',
    `${V4_BATCH}/labels/archive`,
    'crm.associations.batch.archiveLabels',
    objectsOf('write', 'fromObjectType', 'toObjectType'),
    assoc.batchArchiveAssociationLabels,
  ),
  r(
    'GET',
    LABELS,
    'crm.associations.labels.list',
    objectsOf('read', 'fromObjectType', 'toObjectType'),
    assoc.listLabels,
  ),
  r(
    'POST',
    LABELS,
    'crm.associations.labels.create',
    objectsOf('write', 'fromObjectType', 'toObjectType'),
    assoc.createLabel,
  ),
  r(
    'PUT',
    LABELS,
    'crm.associations.labels.update',
    objectsOf('write', 'fromObjectType', 'toObjectType'),
    assoc.updateLabel,
  ),
  r(
    'DELETE',
    `${LABELS}/{associationTypeId}`,
    'crm.associations.labels.archive',
    objectsOf('write', 'fromObjectType', 'toObjectType'),
    assoc.archiveLabel,
  ),
];

const CONTACTS = '/crm/v3/objects/contacts';

/**
 * Maps a contacts-file template and its parameters onto the generic objects template, so that
 * `/crm/v3/objects/contacts/{contactId}` is served like `/crm/v3/objects/{objectType}/{objectId}`.
 */
export function genericTemplate(
  template: string,
  params: Readonly<Record<string, string>>,
): { template: string; params: Record<string, string> } {
  if (template !== CONTACTS && !template.startsWith(`${CONTACTS}/`))
    return { template, params: { ...params } };
  const out: Record<string, string> = { objectType: 'contacts' };
  if (params.contactId !== undefined) out.objectId = params.contactId;
  return {
    template: `${OBJ}${template.slice(CONTACTS.length).replace('{contactId}', '{objectId}')}`,
    params: out,
  };
}

/** Routes by `METHOD template`. */
export function routeTable(): ReadonlyMap<string, Route> {
  return new Map(ROUTES.map((route) => [`${route.method} ${route.path}`, route]));
}

/** A readable name for a contract operation the emulator does not serve. */
export function unservedOperation(method: string, template: string): string {
  return `unserved:${method} ${template}`;
}
