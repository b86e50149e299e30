import type { ConfigOf } from '../../src/connector/manifest.ts';

/** The Google Workspace connector's part of the configuration schema (convict). */
export const googleWorkspaceConfig = {
  credentials: {
    doc: 'Path to a service-account key (JSON) with domain-wide delegation.',
    format: String,
    default: '',
    env: 'GOOGLE_CREDENTIALS',
  },
  adminSubject: {
    doc: 'The Workspace admin the service account acts as (domain-wide delegation subject).',
    format: String,
    default: '',
    env: 'GOOGLE_ADMIN_SUBJECT',
  },
  accessToken: {
    doc: 'A ready OAuth bearer token, instead of the key (tokens managed outside, or emulators).',
    format: String,
    default: '',
    env: 'GOOGLE_ACCESS_TOKEN',
    sensitive: true,
  },
  customer: { doc: 'Google customer id.', format: String, default: 'my_customer', env: 'GOOGLE_CUSTOMER' },
  apiRootUrl: {
    doc: 'Directory API root URL (a proxy or an emulator).',
    format: 'url',
    default: 'https://admin.googleapis.com/',
    env: 'GOOGLE_API_ROOT_URL',
  },
  tokenUrl: {
    doc: 'OAuth token endpoint used with the service-account key.',
    format: 'url',
    default: 'https://oauth2.googleapis.com/token',
    env: 'GOOGLE_TOKEN_URL',
  },
  createAccounts: {
    doc: 'Create a Google account on employee.created when none matches (off by default).',
    format: Boolean,
    default: false,
    env: 'GOOGLE_CREATE_ACCOUNTS',
  },
  accountDomain: {
    doc: 'Domain for created accounts when the GroWrk e-mail is outside the Workspace (empty: use the GroWrk e-mail).',
    format: String,
    default: '',
    env: 'GOOGLE_ACCOUNT_DOMAIN',
  },
  offboardOrgUnit: {
    doc: 'Organisational unit offboarded users are moved to (empty: no move).',
    format: String,
    default: '',
    env: 'GOOGLE_OFFBOARD_ORG_UNIT',
  },
  offboardRemoveGroups: {
    doc: 'Remove offboarded users from all their groups.',
    format: Boolean,
    default: false,
    env: 'GOOGLE_OFFBOARD_REMOVE_GROUPS',
  },
  customSchema: {
    doc: 'Name of the custom schema that records suspensions made by this service (created by init).',
    format: String,
    default: 'GrowrkSync',
    env: 'GOOGLE_CUSTOM_SCHEMA',
  },
  callsPerMinute: {
    doc: 'Directory API calls per minute this service allows itself (Google allows 2,400 per admin).',
    format: 'nat',
    default: 2000,
    env: 'GOOGLE_CALLS_PER_MINUTE',
  },
} as const;

/** The Google Workspace connector's configuration, as the schema above gives it. */
export type GoogleConfig = ConfigOf<typeof googleWorkspaceConfig>;
