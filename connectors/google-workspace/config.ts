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
  handover: {
    doc: "Offboarding: transfer the person's Drive (private and shared items) and Calendar to their manager (Data Transfer API).",
    format: Boolean,
    default: false,
    env: 'GOOGLE_OFFBOARD_HANDOVER',
  },
  handoverFallback: {
    doc: 'Offboarding: who receives the data when the projection names no manager (a work e-mail; empty: no handover without a manager).',
    format: String,
    default: '',
    env: 'GOOGLE_OFFBOARD_HANDOVER_FALLBACK',
  },
  handoverPoll: {
    doc: 'Offboarding: how often a Drive and Calendar transfer under way is checked again.',
    format: 'duration',
    default: 60_000,
    env: 'GOOGLE_OFFBOARD_HANDOVER_POLL',
  },
  wipeDevices: {
    doc: 'Offboarding: remove the work account from every mobile device of the person (admin_account_wipe).',
    format: Boolean,
    default: false,
    env: 'GOOGLE_OFFBOARD_WIPE_DEVICES',
  },
  closing: {
    doc: 'Offboarding: close it (licence, closing unit) once every product GroWrk assigned to the person is back and no legal hold remains.',
    format: Boolean,
    default: false,
    env: 'GOOGLE_OFFBOARD_CLOSING',
  },
  closingReturnedStatuses: {
    doc: 'Product statuses that count as back (case-insensitive, comma-separated); an unassigned product is back too.',
    format: 'comma-list',
    default: ['returned', 'in warehouse', 'received', 'retired'],
    env: 'GOOGLE_CLOSING_RETURNED_STATUSES',
  },
  closingRequireWiped: {
    doc: 'A product that reports `wiped` counts as back only once it is wiped.',
    format: Boolean,
    default: true,
    env: 'GOOGLE_CLOSING_REQUIRE_WIPED',
  },
  closingGrace: {
    doc: 'Close anyway this long after the suspension, with equipment still out (legal holds still block); 0: never.',
    format: 'duration',
    default: 0,
    env: 'GOOGLE_CLOSING_GRACE',
  },
  closingOrgUnit: {
    doc: 'Organisational unit a closed offboarding moves the user to (empty: no move).',
    format: String,
    default: '',
    env: 'GOOGLE_CLOSING_ORG_UNIT',
  },
  licenceProductId: {
    doc: 'Closing: the Google product whose licence is released, e.g. Google-Apps (empty: no licence step).',
    format: String,
    default: '',
    env: 'GOOGLE_LICENCE_PRODUCT_ID',
  },
  licenceSkuId: {
    doc: 'Closing: the SKU the person holds, e.g. 1010020027 (Business Starter).',
    format: String,
    default: '',
    env: 'GOOGLE_LICENCE_SKU_ID',
  },
  licenceArchiveSkuId: {
    doc: 'Closing: switch to this SKU (e.g. an Archived User SKU) instead of releasing the licence (empty: release it).',
    format: String,
    default: '',
    env: 'GOOGLE_LICENCE_ARCHIVE_SKU_ID',
  },
  licensingRootUrl: {
    doc: 'Enterprise License Manager API root URL (a proxy or an emulator).',
    format: 'url',
    default: 'https://licensing.googleapis.com/',
    env: 'GOOGLE_LICENSING_ROOT_URL',
  },
  rehireApproval: {
    doc: 'A rehire (an account this service suspended, active again in GroWrk) is reactivated only once approved (held list).',
    format: Boolean,
    default: true,
    env: 'GOOGLE_REHIRE_APPROVAL',
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
