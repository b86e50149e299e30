/** The Snipe-IT emulator (see README.md). */
export { API_BASE, CODE_DIFFERENCES } from './contract.ts';
export { type SnipeItEmulator, type SnipeItEmulatorOptions, startSnipeItEmulator } from './server.ts';
export { SnipeState } from './state.ts';
