/**
 * Every implemented operation, by discovery method id. A method that is in the discovery document
 * but not here is answered 501 (the request was valid; the emulator just does not model it).
 */
import type { Handler } from './handler-kit.ts';
import { deviceHandlers } from './handlers-devices.ts';
import { groupHandlers } from './handlers-groups.ts';
import { licensingHandlers } from './handlers-licensing.ts';
import { schemaHandlers } from './handlers-schemas.ts';
import { securityHandlers } from './handlers-security.ts';
import { transferHandlers } from './handlers-transfers.ts';
import { userHandlers } from './handlers-users.ts';

/** Handlers by discovery method id, e.g. `directory.users.patch`, `datatransfer.transfers.insert`. */
export const handlers: Readonly<Record<string, Handler>> = {
  ...userHandlers,
  ...securityHandlers,
  ...groupHandlers,
  ...schemaHandlers,
  ...deviceHandlers,
  ...transferHandlers,
  ...licensingHandlers,
};
