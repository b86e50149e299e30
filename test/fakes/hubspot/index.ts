/** The HubSpot CRM API emulator: start it with `startHubSpotEmulator`, point `@hubspot/api-client` at `url`. */

export type { ContractViolation, SchemaRelaxation } from '../shared/openapi.ts';
export { OpenApiValidator } from '../shared/openapi.ts';
export { ALL_SCOPES } from './auth.ts';
export { HUBSPOT_RELAXATIONS, MAX_BATCH_INPUTS } from './contract.ts';
export { POLICY_MESSAGES, type RatePolicy } from './rate-limit.ts';
export { type HubSpotEmulator, type HubSpotEmulatorOptions, startHubSpotEmulator } from './server.ts';
export { HUBSPOT_SPEC_FILES, loadHubSpotSpecs } from './specs.ts';
export { CrmState } from './state.ts';
