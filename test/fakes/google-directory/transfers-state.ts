/**
 * The Data Transfer API's state: the applications whose data can be handed over (Drive and
 * Calendar, with their transfer parameters) and the transfers requested. A transfer starts
 * `inProgress` and completes after `pollsToComplete` reads (`transfers.get` / `list`), or fails
 * when a test asked for it (`failNext`), so clients must poll as they would against Google.
 */
import { invalid, notFound } from './errors.ts';
import { etagOf } from './ids.ts';

/** Google's application id of Drive and Docs. */
export const DRIVE_APPLICATION_ID = '55656082996';
/** Google's application id of Calendar. */
export const CALENDAR_APPLICATION_ID = '435070579839';

/** One application transfer parameter, e.g. `PRIVACY_LEVEL: [PRIVATE, SHARED]`. */
export interface TransferParam {
  key: string;
  value: string[];
}

/** An application as `applications.list` shows it. */
export interface TransferApplication {
  kind: 'admin#datatransfer#ApplicationResource';
  etag: string;
  id: string;
  name: string;
  transferParams: TransferParam[];
}

/** A transfer as the API shows it. */
export interface DataTransferRecord {
  kind: 'admin#datatransfer#DataTransfer';
  etag: string;
  id: string;
  oldOwnerUserId: string;
  newOwnerUserId: string;
  applicationDataTransfers: Array<{
    applicationId: string;
    applicationTransferParams: TransferParam[];
    applicationTransferStatus: string;
  }>;
  overallTransferStatusCode: 'inProgress' | 'completed' | 'failed';
  requestTime: string;
}

const APPLICATIONS: ReadonlyArray<Omit<TransferApplication, 'kind' | 'etag'>> = [
  {
    id: DRIVE_APPLICATION_ID,
    name: 'Drive and Docs',
    transferParams: [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }],
  },
  {
    id: CALENDAR_APPLICATION_ID,
    name: 'Calendar',
    transferParams: [{ key: 'RELEASE_RESOURCES', value: ['TRUE'] }],
  },
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Transfers and applications of one emulator. */
export class TransferState {
  /** Reads of an `inProgress` transfer before it completes (0: complete at once). */
  pollsToComplete = 1;
  private readonly userExists: (id: string) => boolean;
  private readonly clock: () => number;
  private transfers = new Map<string, DataTransferRecord>();
  private polls = new Map<string, number>();
  private failing = 0;
  private nextId = 1;

  constructor(options: { userExists: (id: string) => boolean; clock: () => number }) {
    this.userExists = options.userExists;
    this.clock = options.clock;
  }

  reset(): void {
    this.transfers.clear();
    this.polls.clear();
    this.failing = 0;
    this.nextId = 1;
    this.pollsToComplete = 1;
  }

  /** The next `count` transfers requested end `failed`. */
  failNext(count = 1): void {
    this.failing += count;
  }

  applications(): TransferApplication[] {
    return APPLICATIONS.map((a) => ({
      kind: 'admin#datatransfer#ApplicationResource',
      etag: etagOf(a),
      ...structuredClone(a),
    }));
  }

  application(id: string): TransferApplication {
    const app = this.applications().find((a) => a.id === id);
    if (!app) throw notFound('applicationId');
    return app;
  }

  /** `transfers.insert`: checks owners, applications and parameters as Google does. */
  insert(body: Record<string, unknown>): DataTransferRecord {
    const oldOwner = typeof body.oldOwnerUserId === 'string' ? body.oldOwnerUserId : '';
    const newOwner = typeof body.newOwnerUserId === 'string' ? body.newOwnerUserId : '';
    if (!this.userExists(oldOwner)) throw invalid('Invalid Input: oldOwnerUserId (no such user id)');
    if (!this.userExists(newOwner)) throw invalid('Invalid Input: newOwnerUserId (no such user id)');
    if (oldOwner === newOwner) throw invalid('Invalid Input: the old and the new owner are the same user');
    const apps = Array.isArray(body.applicationDataTransfers) ? body.applicationDataTransfers : [];
    if (apps.length === 0) throw invalid('Invalid Input: applicationDataTransfers is required');
    const record: DataTransferRecord = {
      kind: 'admin#datatransfer#DataTransfer',
      etag: '',
      id: `transfer-${this.nextId++}`,
      oldOwnerUserId: oldOwner,
      newOwnerUserId: newOwner,
      applicationDataTransfers: apps.map((raw) => this.applicationTransfer(raw)),
      overallTransferStatusCode: 'inProgress',
      requestTime: new Date(this.clock()).toISOString(),
    };
    if (this.failing > 0) {
      this.failing -= 1;
      this.finish(record, 'failed');
    } else if (this.pollsToComplete <= 0) this.finish(record, 'completed');
    record.etag = etagOf({ ...record, etag: undefined });
    this.transfers.set(record.id, record);
    this.polls.set(record.id, 0);
    return structuredClone(record);
  }

  private applicationTransfer(raw: unknown): DataTransferRecord['applicationDataTransfers'][number] {
    const entry = isRecord(raw) ? raw : {};
    const id = typeof entry.applicationId === 'string' ? entry.applicationId : '';
    const app = APPLICATIONS.find((a) => a.id === id);
    if (!app) throw invalid(`Invalid Input: applicationId '${id}' is not a transferable application`);
    const params = Array.isArray(entry.applicationTransferParams) ? entry.applicationTransferParams : [];
    const checked: TransferParam[] = params.map((p) => {
      const param = isRecord(p) ? p : {};
      const key = typeof param.key === 'string' ? param.key : '';
      const allowed = app.transferParams.find((t) => t.key === key);
      if (!allowed) throw invalid(`Invalid Input: transfer parameter '${key}' for application ${id}`);
      const value = Array.isArray(param.value) ? param.value.filter((v) => typeof v === 'string') : [];
      for (const v of value)
        if (!allowed.value.includes(v))
          throw invalid(`Invalid Input: ${key} value '${v}' for application ${id}`);
      return { key, value };
    });
    return { applicationId: id, applicationTransferParams: checked, applicationTransferStatus: 'pending' };
  }

  private finish(record: DataTransferRecord, status: 'completed' | 'failed'): void {
    record.overallTransferStatusCode = status;
    for (const app of record.applicationDataTransfers) app.applicationTransferStatus = status;
  }

  /** One read of a transfer: advances an `inProgress` one towards completion. */
  get(id: string): DataTransferRecord {
    const record = this.transfers.get(id);
    if (!record) throw notFound('dataTransferId');
    this.poll(record);
    return structuredClone(record);
  }

  private poll(record: DataTransferRecord): void {
    if (record.overallTransferStatusCode !== 'inProgress') return;
    const polls = (this.polls.get(record.id) ?? 0) + 1;
    this.polls.set(record.id, polls);
    if (polls >= this.pollsToComplete) {
      this.finish(record, 'completed');
      record.etag = etagOf({ ...record, etag: undefined });
    }
  }

  list(filter: { oldOwnerUserId?: string | null; newOwnerUserId?: string | null; status?: string | null }) {
    return [...this.transfers.values()]
      .filter((t) => !filter.oldOwnerUserId || t.oldOwnerUserId === filter.oldOwnerUserId)
      .filter((t) => !filter.newOwnerUserId || t.newOwnerUserId === filter.newOwnerUserId)
      .map((t) => {
        this.poll(t);
        return t;
      })
      .filter((t) => !filter.status || t.overallTransferStatusCode === filter.status)
      .map((t) => structuredClone(t));
  }

  /** Every transfer requested, without advancing any (for tests). */
  all(): DataTransferRecord[] {
    return [...this.transfers.values()].map((t) => structuredClone(t));
  }
}
