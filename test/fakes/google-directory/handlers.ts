/**
 * Every implemented operation, by discovery method id. A method that is in the discovery document
 * but not here is answered 501 (the request was valid; the emulator just does not model it).
 */
import type { Handler } from './handler-kit.ts';
import { groupHandlers } from './handlers-groups.ts';
import { schemaHandlers } from './handlers-schemas.ts';
import { securityHandlers } from './handlers-security.ts';
import { userHandlers } from './handlers-users.ts';

/** Handlers by discovery method id, e.g. `directory.users.patch`. */
export const handlers: Readonly<Record<string, Handler>> = {
  ...userHandlers,
  ...securityHandlers,
  ...groupHandlers,
  ...schemaHandlers,
};
