/** The Google Admin SDK Directory API emulator: start it, seed it, inject faults, read its calls. */
export { type TokenGrant, TokenRegistry } from './auth.ts';
export { type DiscoveryDocument, type DiscoveryMethod, loadDiscovery } from './discovery.ts';
export { ApiError, type GoogleErrorBody } from './errors.ts';
export { applyFields, type FieldMask, parseFields } from './fields.ts';
export { type InterceptableClient, redirectTokenRequests } from './jwt-redirect.ts';
export { type GoogleEmulator, type GoogleEmulatorOptions, startGoogleEmulator } from './server.ts';
export { ContractChecker } from './spec.ts';
export { DirectoryState } from './state.ts';
export { GOOGLE_TOKEN_URL } from './token-endpoint.ts';
export type * from './types.ts';
