/**
 * `npm run emulators`: the vendor emulators side by side, for a demo or manual testing.
 *
 *   npm run emulators -- [--google-port 4010] [--hubspot-port 4020] [--snipeit-port 4030] [--seed-users N]
 *
 * Prints the environment that points growrk-sync at them, and runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startGoogleEmulator } from './google-directory/server.ts';
import { startHubSpotEmulator } from './hubspot/server.ts';
import { startSnipeItEmulator } from './snipe-it/server.ts';

const { values } = parseArgs({
  options: {
    'google-port': { type: 'string', default: '4010' },
    'hubspot-port': { type: 'string', default: '4020' },
    'snipeit-port': { type: 'string', default: '4030' },
    'seed-users': { type: 'string', default: '3' },
  },
  strict: true,
});

const google = await startGoogleEmulator({ port: Number(values['google-port']) });
const hubspot = await startHubSpotEmulator({ port: Number(values['hubspot-port']) });
const snipeit = await startSnipeItEmulator({ port: Number(values['snipeit-port']) });
// A few directory users matching the built-in send-test samples, so a demo has someone to offboard.
google.state.addUser({ primaryEmail: 'johndoe@example.com', name: { givenName: 'John', familyName: 'Doe' } });
google.state.addUser({
  primaryEmail: 'maria.nunez@example.com',
  name: { givenName: 'María', familyName: 'Núñez' },
});
for (let i = 0; i < Number(values['seed-users']); i += 1) {
  google.state.addUser({
    primaryEmail: `user${i}@example.com`,
    name: { givenName: 'User', familyName: String(i) },
  });
}

process.stdout.write(`Google Directory emulator: ${google.url}
HubSpot emulator:          ${hubspot.url}
Snipe-IT emulator:         ${snipeit.url}

Point growrk-sync at them:
  export CONNECTORS=google-workspace,hubspot,snipe-it
  export GOOGLE_API_ROOT_URL=${google.url} GOOGLE_ACCESS_TOKEN=test-token
  export HUBSPOT_BASE_URL=${hubspot.url} HUBSPOT_ACCESS_TOKEN=hs-test-token
  export SNIPEIT_URL=${snipeit.url} SNIPEIT_API_TOKEN=snipe-test-token SNIPEIT_MODEL_ID=1 SNIPEIT_CREATE_USERS=true
Inspect them: ${google.url}__emulator/calls  ${hubspot.url}/__emulator/calls  ${snipeit.url}/__emulator/calls
`);

const stop = async () => {
  await Promise.all([google.stop(), hubspot.stop(), snipeit.stop()]);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
