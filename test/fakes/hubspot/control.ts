/**
 * The control API under `/__emulator/` on the emulator's own port, free of auth and limits:
 *
 * - `GET /__emulator/calls`: `{ calls, stats }`, every recorded call;
 * - `GET /__emulator/state`: the portal's state and the stats;
 * - `POST /__emulator/reset`: fresh state, no calls, no fault rules, empty limit windows;
 * - `POST /__emulator/faults`: adds a rule (body as `ruleFromJson` takes it);
 * - `DELETE /__emulator/faults`: removes every rule and releases held calls;
 * - `GET /__emulator/held`: the calls a `hold` rule keeps waiting;
 * - `POST /__emulator/held/release`: releases them.
 */
import { type FaultInjector, ruleFromJson } from '../shared/faults.ts';
import type { CallRecorder } from '../shared/recorder.ts';
import type { CrmState } from './state.ts';

/** What the control API reaches into. */
export interface ControlTarget {
  state: CrmState;
  faults: FaultInjector;
  recorder: CallRecorder;
  reset(): void;
  /** Removes every fault rule and releases held calls. */
  clearFaults(): void;
  stats(): { calls: number; rateLimited: number };
}

/** A control answer. */
export interface ControlAnswer {
  status: number;
  body?: unknown;
}

/** Serves one control request. */
export function control(target: ControlTarget, method: string, path: string, body: unknown): ControlAnswer {
  const route = `${method} ${path.replace(/\/$/, '')}`;
  switch (route) {
    case 'GET /__emulator/calls':
      return { status: 200, body: { calls: target.recorder.calls, stats: target.stats() } };
    case 'GET /__emulator/state':
      return { status: 200, body: { ...target.state.snapshot(), stats: target.stats() } };
    case 'POST /__emulator/reset':
      target.reset();
      return { status: 204 };
    case 'POST /__emulator/faults':
      try {
        target.faults.add(ruleFromJson(body));
        return { status: 201, body: { ok: true } };
      } catch (error) {
        return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
      }
    case 'DELETE /__emulator/faults':
      target.clearFaults();
      return { status: 204 };
    case 'GET /__emulator/held':
      return {
        status: 200,
        body: { held: target.faults.held().map((h) => ({ method: h.method, path: h.path })) },
      };
    case 'POST /__emulator/held/release':
      for (const call of [...target.faults.held()]) call.release();
      return { status: 204 };
    default:
      return { status: 404, body: { error: `no control operation ${route}` } };
  }
}
