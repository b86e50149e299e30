/**
 * The offboarding steps after the access cut: the handover of Drive and Calendar, the wipe of the
 * work account from mobile devices, and the closing (licence, closing unit). Each records what it
 * did in the person's offboarding timeline (`src/core/offboarding.ts`), which {@link Timeline}
 * loads once per apply and saves at the end, even when a step failed.
 */
import { newId } from '../../src/core/ids.ts';
import { emptyTimeline, type OffboardingRecord } from '../../src/core/offboarding.ts';
import { SyncError } from '../../src/errors.ts';
import { orgUnitPathOf } from './mapping.ts';
import type { GoogleContext } from './matching.ts';

/** The timeline of one offboarding run, as one apply reads and writes it. */
export class Timeline {
  private record: OffboardingRecord | null = null;
  private dirty = false;
  private readonly ctx: GoogleContext;
  private readonly employeeId: string;
  private readonly label: string;

  constructor(ctx: GoogleContext, employeeId: string, label: string) {
    this.ctx = ctx;
    this.employeeId = employeeId;
    this.label = label;
  }

  private iso(): string {
    return new Date(this.ctx.now()).toISOString();
  }

  /** The record of `run`: the newest one when it follows this run, else a new open one. */
  async of(run: string, suspendedAt?: string): Promise<OffboardingRecord> {
    if (this.record?.timeline.run === run) return this.record;
    const latest = await this.ctx.offboardings.latest(this.employeeId);
    if (latest && latest.timeline.run === run) this.record = latest;
    else {
      const now = this.ctx.now();
      this.record = {
        id: newId('off', now),
        connector: this.ctx.connector,
        employeeId: this.employeeId,
        status: 'open',
        openedAt: now,
        closedAt: null,
        updatedAt: now,
        timeline: { ...emptyTimeline(this.label), run, suspendedAt },
      };
      this.dirty = true;
    }
    return this.record;
  }

  /** Marks the record changed (saved by {@link save}). */
  touch(): void {
    this.dirty = true;
  }

  /** Appends a step done. */
  async step(run: string, step: string, detail?: string): Promise<void> {
    const record = await this.of(run);
    record.timeline.steps.push({ step, at: this.iso(), ...(detail ? { detail } : {}) });
    this.dirty = true;
  }

  /** The newest record of the employee, whatever its run (for a rehire). */
  async latest(): Promise<OffboardingRecord | null> {
    this.record ??= await this.ctx.offboardings.latest(this.employeeId);
    return this.record;
  }

  /** Saves the record when it changed. */
  async save(): Promise<void> {
    if (!this.record || !this.dirty) return;
    this.record.updatedAt = this.ctx.now();
    await this.ctx.offboardings.put(this.record);
    this.dirty = false;
  }

  now(): string {
    return this.iso();
  }
}

/** Records why the closing waits (equipment out, legal hold), as the plan found it. */
export async function recordEquipment(
  timeline: Timeline,
  run: string,
  reason: string,
  equipment: unknown,
): Promise<void> {
  const record = await timeline.of(run);
  record.timeline.blockedBy = reason;
  if (Array.isArray(equipment)) record.timeline.equipment = equipment;
  timeline.touch();
}

/** A rehire cancels the closing that was waiting for the equipment. */
export async function cancelOnRehire(timeline: Timeline, now: number): Promise<void> {
  const latest = await timeline.latest();
  if (latest?.status !== 'open') return;
  latest.status = 'cancelled';
  latest.closedAt = now;
  latest.timeline.cancelledReason = 'rehired: account reactivated';
  latest.timeline.steps.push({ step: 'reactivate', at: timeline.now() });
  timeline.touch();
}

/** What a handover step came to: done, or a transfer still under way (poll again later). */
export type HandoverResult = 'completed' | 'pending';

/**
 * The handover: requests the transfer once, then reads its state; a completed transfer is never
 * requested again, a failed one is requested again.
 */
export async function runHandover(
  ctx: GoogleContext,
  timeline: Timeline,
  input: { run: string; userId: string; to: string; source: 'manager' | 'fallback' },
): Promise<HandoverResult> {
  const record = await timeline.of(input.run);
  const current = record.timeline.handover;
  if (current?.state === 'completed') return 'completed';
  if (current?.transferId && current.state !== 'failed') {
    const status = await ctx.client.getTransfer(current.transferId);
    current.state = status.state;
    if (status.state === 'completed' || status.state === 'failed') current.finishedAt = timeline.now();
    timeline.touch();
    if (status.state === 'completed') return 'completed';
    if (status.state !== 'failed') return 'pending';
  }
  let to = input.to;
  let source = input.source;
  let toUserId = await ctx.client.userIdOf(to);
  const fallback = ctx.config.handoverFallback.trim().toLowerCase();
  if (!toUserId && source === 'manager' && fallback) {
    to = fallback;
    source = 'fallback';
    toUserId = await ctx.client.userIdOf(to);
  }
  if (!toUserId)
    throw new SyncError('TARGET_NOT_FOUND', 'google-workspace: the handover recipient has no Google account');
  const status = await ctx.client.insertTransfer({ fromUserId: input.userId, toUserId });
  record.timeline.handover = {
    to,
    source,
    transferId: status.id,
    state: status.state,
    requestedAt: timeline.now(),
    attempts: (current?.attempts ?? 0) + 1,
    ...(status.state === 'completed' ? { finishedAt: timeline.now() } : {}),
  };
  timeline.touch();
  return status.state === 'completed' ? 'completed' : 'pending';
}

/** Removes the work account from every mobile device of the user, each device once per run. */
export async function runWipe(
  ctx: GoogleContext,
  timeline: Timeline,
  input: { run: string; email: string },
): Promise<void> {
  const record = await timeline.of(input.run);
  const wiped = new Set(record.timeline.devicesWiped.map((d) => d.resourceId));
  for (const device of await ctx.client.listMobileDevices(input.email)) {
    if (wiped.has(device.resourceId)) continue;
    await ctx.client.wipeAccountFromDevice(device.resourceId);
    record.timeline.devicesWiped.push({
      resourceId: device.resourceId,
      model: device.model,
      at: timeline.now(),
    });
    timeline.touch();
    // Saved per device: a retry after a failure on the next one does not wipe this one again.
    await timeline.save();
  }
}

/**
 * The closing: releases the licence (or switches to the archive SKU), moves to the closing unit,
 * and records it. Runs at most once per run: a closed record is left alone.
 */
export async function runClose(
  ctx: GoogleContext,
  timeline: Timeline,
  input: { run: string; userId: string; email: string; reason: string; equipment: unknown },
): Promise<'closed' | 'already'> {
  const record = await timeline.of(input.run);
  if (record.status !== 'open') return 'already';
  const { config } = ctx;
  if (config.licenceProductId && !record.timeline.licenceReleasedAt) {
    const licence = {
      productId: config.licenceProductId,
      skuId: config.licenceSkuId,
      userEmail: input.email,
    };
    if (config.licenceArchiveSkuId)
      await ctx.client.switchLicence({ ...licence, toSkuId: config.licenceArchiveSkuId });
    else await ctx.client.releaseLicence(licence);
    record.timeline.licenceReleasedAt = timeline.now();
    record.timeline.licence = config.licenceArchiveSkuId
      ? `archived:${config.licenceArchiveSkuId}`
      : 'released';
    timeline.touch();
    await timeline.save();
  }
  const ou = orgUnitPathOf(config.closingOrgUnit);
  if (ou !== '') await ctx.client.patchUser(input.userId, { orgUnitPath: ou });
  if (Array.isArray(input.equipment)) record.timeline.equipment = input.equipment;
  record.timeline.blockedBy = null;
  record.timeline.closedReason = input.reason;
  record.status = 'closed';
  record.closedAt = ctx.now();
  timeline.touch();
  return 'closed';
}
