/** The HubSpot connector's part of the configuration schema (convict). */
export const hubspotConfig = {
  accessToken: {
    doc: 'Private-app access token.',
    format: String,
    default: '',
    env: 'HUBSPOT_ACCESS_TOKEN',
    sensitive: true,
  },
  baseUrl: {
    doc: 'API base URL (a proxy or an emulator).',
    format: 'url',
    default: 'https://api.hubapi.com',
    env: 'HUBSPOT_BASE_URL',
  },
  callsPer10s: {
    doc: 'Calls per rolling 10 s for the portal (100, 190 or 250 by tier).',
    format: 'nat',
    default: 100,
    env: 'HUBSPOT_CALLS_PER_10S',
  },
  searchPerSecond: {
    doc: 'Search calls per second (HubSpot allows 4).',
    format: 'nat',
    default: 4,
    env: 'HUBSPOT_SEARCH_PER_SECOND',
  },
  idProperty: {
    doc: 'Unique contact property holding the GroWrk employee id.',
    format: String,
    default: 'growrk_employee_id',
    env: 'HUBSPOT_CONTACT_ID_PROPERTY',
  },
  assetObjectType: {
    doc: 'Object type for IT assets: the custom object name init creates, or another object type.',
    format: String,
    default: 'growrk_asset',
    env: 'HUBSPOT_ASSET_OBJECT_TYPE',
  },
  assetIdProperty: {
    doc: 'Unique asset property holding the GroWrk product id.',
    format: String,
    default: 'growrk_product_id',
    env: 'HUBSPOT_ASSET_ID_PROPERTY',
  },
  syncOrders: {
    doc: 'Create deals from orders (off by default: orders must not pollute a sales pipeline).',
    format: Boolean,
    default: false,
    env: 'HUBSPOT_SYNC_ORDERS',
  },
  dealPipeline: {
    doc: 'Pipeline for order deals.',
    format: String,
    default: 'default',
    env: 'HUBSPOT_DEAL_PIPELINE',
  },
  dealStages: {
    doc: 'GroWrk order status to deal stage, as JSON.',
    format: 'json-object',
    default: {
      'order placed': 'appointmentscheduled',
      processing: 'qualifiedtobuy',
      shipped: 'contractsent',
      delivered: 'closedwon',
      closed: 'closedwon',
      cancelled: 'closedlost',
    },
    env: 'HUBSPOT_DEAL_STAGES',
  },
} as const;
