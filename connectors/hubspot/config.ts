import type { ConfigOf } from '../../src/connector/manifest.ts';

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
  rateWindow: {
    doc: "The rolling window HUBSPOT_CALLS_PER_10S counts over: HubSpot's 10 s (shorter only against an emulator run faster, with the limit scaled alike).",
    format: 'duration',
    default: 10_000,
    env: 'HUBSPOT_RATE_WINDOW',
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
  contactProperties: {
    doc: 'Contact property -> GroWrk employee field (dot path, or @firstName / @lastName), as JSON. An empty source leaves the property unmanaged. The unique id property is always written.',
    format: 'json-object',
    default: {
      email: 'email',
      firstname: '@firstName',
      lastname: '@lastName',
      jobtitle: 'jobTitle',
      growrk_status: 'status',
    },
    env: 'HUBSPOT_CONTACT_PROPERTIES',
  },
  assetProperties: {
    doc: 'Asset property -> GroWrk product field (dot path such as specs.ram), as JSON. An empty source leaves the property unmanaged.',
    format: 'json-object',
    default: {
      serial_number: 'serialNumber',
      title: 'title',
      model: 'model',
      manufacturer: 'manufacturer',
      ram: 'specs.ram',
      storage: 'specs.storage',
      cpu: 'specs.cpu',
      status: 'status',
      condition: 'condition',
      location: 'location',
      order_id: 'orderId',
      region: 'regionId',
      managed_by: 'managedBy',
      mdm: 'mdm',
      arrival_date: 'arrivalDate',
      wiped: 'wiped',
      charger: 'charger',
      legal_hold_status: 'legalHoldStatus',
      url: 'url',
    },
    env: 'HUBSPOT_ASSET_PROPERTIES',
  },
  syncOrders: {
    doc: 'Create deals from orders (off by default: orders must not pollute a sales pipeline).',
    format: Boolean,
    default: false,
    env: 'HUBSPOT_SYNC_ORDERS',
  },
  dealIdProperty: {
    doc: 'Unique deal property holding the GroWrk order id (created by init when orders are synced).',
    format: String,
    default: 'growrk_order_id',
    env: 'HUBSPOT_DEAL_ID_PROPERTY',
  },
  dealProperties: {
    doc: 'Deal property -> GroWrk order field (dot path, or @dealName), as JSON. Pipeline and stage come from dealPipeline and dealStages.',
    format: 'json-object',
    default: {
      dealname: '@dealName',
      amount: 'cost',
      closedate: 'closedAt',
      growrk_order_status: 'status',
    },
    env: 'HUBSPOT_DEAL_PROPERTIES',
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

/**
 * The HubSpot connector's configuration, as the schema above gives it. The property maps
 * (`contactProperties`, `assetProperties`, `dealProperties`) map a target property to a GroWrk
 * field (dot path, or `@firstName` / `@lastName` / `@dealName`); '' leaves it unmanaged.
 */
export type HubSpotConfig = ConfigOf<typeof hubspotConfig>;
