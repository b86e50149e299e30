import { EVENT_TYPES, type EventType } from './types.ts';

const employeeRef = {
  id: 'emp-12345',
  displayName: 'John Doe',
  email: 'johndoe@example.com',
  path: 'https://app.growrk.com/companies/123/employees/emp-12345',
};

function employee(status: string): Record<string, unknown> {
  return {
    id: 'emp-12345',
    url: 'https://app.growrk.com/companies/123/employees/emp-12345',
    createdAt: '2024-01-02T08:00:00Z',
    status,
    email: 'johndoe@example.com',
    secondaryEmail: 'john.doe.personal@example.net',
    displayName: 'John Doe',
    country: 'US',
    teamId: 'team-9',
    dashboard: 'Employee',
    temporaryAddress: null,
    taxId: 'TAX-000-11-2222',
    startDate: '2024-01-15',
    tShirtSize: 'L',
    annualCompensation: 123456,
    dateOfBirth: '1990-04-01',
    department: 'Engineering',
    division: 'Platform',
    jobTitle: 'Software Engineer',
    manager: {
      id: 'emp-20001',
      displayName: 'María José Núñez',
      email: 'maria.nunez@example.com',
      path: 'https://app.growrk.com/companies/123/employees/emp-20001',
    },
    nationality: 'US',
    payRate: 59.35,
    payFrequency: 'biweekly',
    employmentType: 'Full-time',
    nationalId: 'NID-123-45-6789',
    gender: 'male',
    pronouns: 'he/him',
    maritalStatus: 'single',
    profilePicture: null,
    emergencyContact: { name: 'Jane Doe', phone: '+1 555 0100' },
  };
}

function product(status: string, assigned: boolean): Record<string, unknown> {
  return {
    id: 'prod-777',
    url: 'https://app.growrk.com/companies/123/products/prod-777',
    createdAt: '2024-08-18T09:00:00Z',
    status,
    assigned,
    employee: assigned ? employeeRef : null,
    managedBy: 'GroWrk',
    manufacturer: 'Apple',
    model: 'MacBook Pro 14 (M3, 2023)',
    regionId: 'us',
    serialNumber: 'C02XK0AAJGH5',
    title: 'MacBook Pro 14',
    specs: { ram: '16GB', storage: '512GB', cpu: 'Apple M3 Pro' },
    mdm: 'Jamf',
    condition: 'New',
    orderId: '12345',
    arrivalDate: '2024-08-20',
    wiped: false,
    customNotes: '',
    charger: true,
    location: assigned ? 'Employee' : 'Warehouse',
    po: 'PO987654',
    pin: null,
    legalHoldStatus: 'none',
  };
}

function order(status: string, closedAt: string | null): Record<string, unknown> {
  return {
    id: '12345',
    url: 'https://app.growrk.com/companies/123/order/12345',
    createdAt: '2024-08-16T10:45:32Z',
    status,
    closedAt,
    regionId: 'us',
    country: 'US',
    type: 'Purchase for Inventory',
    cost: 1102.5,
    employee: employeeRef,
    shippingAddress: '1234 Elm St, Springfield, US',
    collectionAddress: null,
    contactAttempt: 1,
    poNumber: 'PO987654',
    expediteShipping: true,
  };
}

const ENTITIES: Record<EventType, () => { key: string; entity: Record<string, unknown> }> = {
  'order.created': () => ({ key: 'orders', entity: order('order placed', null) }),
  'order.statusChange': () => ({ key: 'orders', entity: order('shipped', null) }),
  'order.statusClosed': () => ({ key: 'orders', entity: order('closed', '2024-08-25T16:00:00Z') }),
  'product.created': () => ({ key: 'products', entity: product('In Stock', false) }),
  'product.statusChange': () => ({ key: 'products', entity: product('In Repair', true) }),
  'product.assigned': () => ({ key: 'products', entity: product('Deployed', true) }),
  'product.shipped': () => ({ key: 'products', entity: product('Shipped', true) }),
  'employee.created': () => ({ key: 'employees', entity: employee('active') }),
  'employee.updated': () => ({
    key: 'employees',
    entity: { ...employee('active'), jobTitle: 'Senior Software Engineer' },
  }),
  'employee.offboarded': () => ({ key: 'employees', entity: employee('offboarded') }),
};

/**
 * A sample body for one of the ten event types, shaped as GroWrk sends it (including the sensitive
 * employee fields GroWrk really sends, which the service must drop). `timestamp` defaults to now,
 * so each sample is a new event rather than a duplicate.
 */
export function sampleEvent(
  type: EventType,
  timestamp: string = new Date().toISOString(),
): Record<string, unknown> {
  const { key, entity } = ENTITIES[type]();
  return { event: type, timestamp, companyId: '123', [key]: [entity] };
}

export { EVENT_TYPES };
