import { describe, expect, it } from 'vitest';
import { RESUME_WITHIN_MS, type RunCheckpoint, resumableRun } from '../../src/reconcile/checkpoint.ts';
import { addToTally, CHANGE_SAMPLE, emptyTally } from '../../src/reconcile/tally.ts';
import type { ChangeReport, ReconcileRequest } from '../../src/reconcile/types.ts';
import type { Run } from '../../src/store/types.ts';

const T0 = Date.parse('2026-12-01T12:00:00Z');
const request: ReconcileRequest = { trigger: 'manual', dryRun: false, yes: false };

function stoppedRun(over: Partial<Run> = {}, done = false): Run {
  const checkpoint = {
    phase: 'applying',
    request: { trigger: 'manual', yes: false, connector: null },
    connectors: [{ connector: 'hubspot', done }],
  } as unknown as RunCheckpoint;
  return {
    id: 'run_1',
    connector: null,
    trigger: 'manual',
    dryRun: false,
    startedAt: T0,
    finishedAt: null,
    status: 'running',
    plan: null,
    result: null,
    errors: [],
    checkpoint,
    ...over,
  };
}

describe('resumableRun', () => {
  it('resumes the newest run when it stopped while applying and was asked the same', () => {
    expect(resumableRun([stoppedRun()], request, T0 + 1000)?.run.id).toBe('run_1');
    expect(resumableRun([stoppedRun({ status: 'failed' })], request, T0 + 1000)?.run.id).toBe('run_1');
    // A dry run newer than it does not hide it; dry runs themselves never resume.
    expect(resumableRun([stoppedRun({ id: 'run_2', dryRun: true }), stoppedRun()], request, T0)?.run.id).toBe(
      'run_1',
    );
    expect(resumableRun([stoppedRun()], { ...request, dryRun: true }, T0)).toBeNull();
  });

  it('resumes a run that stopped while planning (listing), asked the same', () => {
    const planning = {
      phase: 'planning',
      request: { trigger: 'manual', yes: false, connector: null },
      resumedAt: [],
    };
    expect(resumableRun([stoppedRun({ checkpoint: planning })], request, T0)?.checkpoint.phase).toBe(
      'planning',
    );
    expect(resumableRun([stoppedRun({ checkpoint: planning })], { ...request, yes: true }, T0)).toBeNull();
    expect(
      resumableRun([stoppedRun({ checkpoint: { ...planning, phase: 'listing' } })], request, T0),
    ).toBeNull();
  });

  it('starts afresh when the run finished, is stale, was asked otherwise, or has nothing left', () => {
    expect(
      resumableRun([stoppedRun({ id: 'run_2', status: 'applied' }), stoppedRun()], request, T0),
    ).toBeNull();
    expect(resumableRun([stoppedRun()], request, T0 + RESUME_WITHIN_MS + 1)).toBeNull();
    expect(resumableRun([stoppedRun()], { ...request, yes: true }, T0)).toBeNull();
    expect(resumableRun([stoppedRun()], { ...request, connector: 'hubspot' }, T0)).toBeNull();
    expect(resumableRun([stoppedRun({}, true)], request, T0)).toBeNull();
    expect(resumableRun([stoppedRun({ checkpoint: null })], request, T0)).toBeNull();
  });
});

describe('addToTally', () => {
  it('counts every change exactly and keeps a bounded sample, destructive ones first', () => {
    const change = (n: number, action: ChangeReport['action']): ChangeReport => ({
      kind: 'employee',
      entityId: `emp-${n}`,
      target: null,
      action,
      ops: [
        {
          type: action === 'suspend' ? 'suspend' : 'update',
          destructive: action === 'suspend',
          description: '',
          changes: [],
        },
        ...(action === 'suspend'
          ? [{ type: 'sign-out', destructive: true, description: '', changes: [] }]
          : []),
      ],
      notes: [],
      protectedBy: null,
      result: 'applied',
    });
    const tally = emptyTally();
    const decisions = (from: number, count: number, action: ChangeReport['action']) =>
      Array.from({ length: count }, (_, i) => ({
        plan: {
          connector: 'x',
          kind: 'employee' as const,
          entityId: `emp-${from + i}`,
          target: null,
          ops: [],
          notes: [],
        },
        report: change(from + i, action),
        submit: null,
        settles: null,
        hold: false,
      }));
    addToTally(tally, decisions(0, 3 * CHANGE_SAMPLE, 'update'));
    addToTally(tally, decisions(1000, 5, 'suspend'));
    expect(tally.changeCount).toBe(3 * CHANGE_SAMPLE + 5);
    expect(tally.plan).toMatchObject({ update: 3 * CHANGE_SAMPLE, suspend: 5 });
    expect(tally.results.applied).toBe(3 * CHANGE_SAMPLE + 5);
    expect(tally.playbookSteps).toBe(5);
    expect(tally.changes).toHaveLength(CHANGE_SAMPLE + 5);
    expect(tally.changes.filter((c) => c.action === 'suspend')).toHaveLength(5);
  });
});
