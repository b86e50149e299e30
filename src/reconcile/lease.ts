/**
 * One reconciliation leader at a time: a named lease in the store, taken before a run and renewed
 * while it runs. A process that dies stops renewing, so its lease runs out after `ttlMs` and the
 * next run takes over. Losing the lease (a pause longer than the TTL) aborts the run before it
 * writes anything more.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Run, Store } from '../store/types.ts';

/** The lease name every reconciliation shares. */
export const LEASE_NAME = 'reconcile';

/** How long a lease lives without renewal. */
export const LEASE_TTL_MS = 60_000;

/** Who holds the lease, as far as the store can tell (the run that holds it records itself). */
export interface LeaseHolder {
  runId: string | null;
  trigger: Run['trigger'] | null;
  /** Epoch ms the holding run started, or null when no running run is recorded yet. */
  since: number | null;
}

/** A lease held by this process. */
export interface HeldLease {
  owner: string;
  /** Aborted when the lease is lost (another owner took it after a long pause). */
  signal: AbortSignal;
  /** Stops renewing and gives the lease back. */
  release(): Promise<void>;
}

/** A unique owner name: host, process and a random part (two runs in one process differ). */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Takes the reconcile lease, or answers null when another owner holds it. While held, it is renewed
 * every third of its TTL; a renewal the store refuses aborts `signal`.
 */
export async function takeLease(input: {
  store: Store;
  now: () => number;
  ttlMs?: number;
  onLost?: () => void;
}): Promise<HeldLease | null> {
  const ttl = input.ttlMs ?? LEASE_TTL_MS;
  const owner = leaseOwner();
  if (!(await input.store.acquireLease(LEASE_NAME, owner, ttl, input.now()))) return null;
  const controller = new AbortController();
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = input.store
        .acquireLease(LEASE_NAME, owner, ttl, input.now())
        .then((kept) => {
          if (!kept && !controller.signal.aborted) {
            controller.abort(new Error('the reconcile lease was lost to another run'));
            input.onLost?.();
          }
        })
        .catch(() => {
          // A failed renewal is retried on the next tick; the lease still has two thirds to live.
        });
    },
    Math.max(50, Math.floor(ttl / 3)),
  );
  timer.unref();
  return {
    owner,
    signal: controller.signal,
    release: async () => {
      clearInterval(timer);
      await renewing;
      await input.store.releaseLease(LEASE_NAME, owner);
    },
  };
}

/** The running run that most likely holds the lease (the newest one still marked running). */
export async function leaseHolder(store: Store): Promise<LeaseHolder> {
  const running = (await store.listRuns(50)).find((r) => r.status === 'running');
  return running
    ? { runId: running.id, trigger: running.trigger, since: running.startedAt }
    : { runId: null, trigger: null, since: null };
}

/** One line for people: who holds the lease and since when. */
export function describeHolder(holder: LeaseHolder): string {
  if (holder.runId === null || holder.since === null) {
    return `another reconciliation holds the lease "${LEASE_NAME}" (it is just starting, or its process stopped; a lease not renewed expires after ${LEASE_TTL_MS / 1000} s)`;
  }
  return `another reconciliation holds the lease "${LEASE_NAME}": run ${holder.runId} (${holder.trigger}), running since ${new Date(holder.since).toISOString()}`;
}

/**
 * Marks runs still recorded as running, other than `current`, as failed: whoever holds the lease is
 * the only run alive, so the others' processes stopped without finishing.
 */
export async function closeAbandonedRuns(store: Store, current: string, now: number): Promise<void> {
  for (const run of await store.listRuns(50)) {
    if (run.id === current || run.status !== 'running') continue;
    await store.updateRun(run.id, {
      status: 'failed',
      finishedAt: now,
      errors: [
        ...run.errors,
        { code: 'INTERNAL', message: 'abandoned: its process stopped before the run finished' },
      ],
    });
  }
}
