import type { ConfigOf } from '../../src/connector/manifest.ts';

/** The Snipe-IT connector's part of the configuration schema (convict). */
export const snipeItConfig = {
  url: {
    doc: 'Snipe-IT base URL, e.g. https://assets.example.com (the API is under /api/v1).',
    format: String,
    default: '',
    env: 'SNIPEIT_URL',
  },
  apiToken: {
    doc: 'Personal access token of the API user (Bearer).',
    format: String,
    default: '',
    env: 'SNIPEIT_API_TOKEN',
    sensitive: true,
  },
  modelId: {
    doc: 'Asset model id for created assets; init attaches the GroWrk fieldset to it.',
    format: 'nat',
    default: 0,
    env: 'SNIPEIT_MODEL_ID',
  },
  statusMap: {
    doc: 'GroWrk product status -> Snipe-IT status label name, as JSON. "Legal hold" applies whenever legalHoldStatus is set (other than none).',
    format: 'json-object',
    default: {
      'In inventory': 'Ready to Deploy',
      Deployed: 'Ready to Deploy',
      Shipped: 'Ready to Deploy',
      Returned: 'Ready to Deploy',
      'Legal hold': 'Legal Hold',
      Lost: 'Lost/Stolen',
      Broken: 'Broken',
      Retired: 'Archived',
    },
    env: 'SNIPEIT_STATUS_MAP',
  },
  defaultStatus: {
    doc: 'Status label for a GroWrk status the map does not name.',
    format: String,
    default: 'Ready to Deploy',
    env: 'SNIPEIT_DEFAULT_STATUS',
  },
  fieldset: {
    doc: 'Name of the custom fieldset holding the GroWrk fields (created by init).',
    format: String,
    default: 'GroWrk',
    env: 'SNIPEIT_FIELDSET',
  },
  productIdField: {
    doc: 'Name of the custom field holding the GroWrk product id (created by init).',
    format: String,
    default: 'GroWrk product id',
    env: 'SNIPEIT_PRODUCT_ID_FIELD',
  },
  orderIdField: {
    doc: 'Name of the custom field holding the GroWrk order id (created by init).',
    format: String,
    default: 'GroWrk order id',
    env: 'SNIPEIT_ORDER_ID_FIELD',
  },
  createUsers: {
    doc: 'Create a Snipe-IT user (not activated, no usable password) when an asset is assigned to an e-mail no user has.',
    format: Boolean,
    default: false,
    env: 'SNIPEIT_CREATE_USERS',
  },
  callsPerMinute: {
    doc: 'API calls per minute this service allows itself (Snipe-IT default API_THROTTLE_PER_MINUTE: 120).',
    format: 'nat',
    default: 120,
    env: 'SNIPEIT_CALLS_PER_MINUTE',
  },
} as const;

/** The Snipe-IT connector's configuration, as the schema above gives it. */
export type SnipeItConfig = ConfigOf<typeof snipeItConfig>;
