/**
 * The hand-off from an acknowledgement to the projection behind it: the core says when an event
 * parsed at the acknowledgement is exactly what parsing its stored body again gives, and the
 * store's bounded map keeps such events by queue position, for their own event id only.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  type HandedOver,
  handedOver,
  parseBatch,
  projectBatch,
  projectedFromStored,
} from '../../src/core/fan-out.ts';
import { bodyFilter, DEFAULT_KEEP_FIELDS } from '../../src/growrk/allowlist.ts';
import { parseEnvelope, parseJsonText } from '../../src/growrk/envelope.ts';
import type { ParsedEvent } from '../../src/growrk/types.ts';
import { ProjectionHandoff } from '../../src/store/handoff.ts';
import { fixtureBodies } from '../helpers/fixtures.ts';

const SETTINGS = {
  jobConnectors: { employee: ['google-workspace', 'hubspot'], product: ['hubspot'] },
  clockSkewMs: 300_000,
};

/** What the ingest path keeps of a raw body: the event it validated, and the body it stores. */
function accepted(raw: string): { event: ParsedEvent; body: string } {
  const kept = bodyFilter(DEFAULT_KEEP_FIELDS, []).body(parseJsonText(raw));
  return { event: parseEnvelope(kept, []), body: JSON.stringify(kept) };
}

/** A product.created body with `value` (JSON text, taken as it is) in the first product's `specs`. */
function productWith(value: string): string {
  const body = JSON.parse(fixtureBodies().get('product.created')!) as {
    products: Array<Record<string, unknown>>;
  };
  body.products[0] = { ...body.products[0], specs: { ram: '16GB', odd: '__VALUE__' } };
  return JSON.stringify(body).replace('"__VALUE__"', value);
}

describe('handedOver', () => {
  it('is, for every fixture, exactly what parsing the stored body and settings again gives', () => {
    for (const [type, raw] of fixtureBodies()) {
      const { event, body } = accepted(raw);
      const handed = handedOver('evt-1', event, SETTINGS);
      expect(handed, type).not.toBeNull();
      // Strict: prototypes, -0 and key sets count.
      expect(isDeepStrictEqual(handed!.event, projectedFromStored('evt-1', body)), type).toBe(true);
      expect(isDeepStrictEqual(handed!.settings, JSON.parse(JSON.stringify(SETTINGS))), type).toBe(true);
    }
  });

  it('hands nothing over when a value would read back otherwise (the body is parsed then)', () => {
    for (const value of ['1e400', '-1e400', '-0', '[1, -0]']) {
      const { event, body } = accepted(productWith(value));
      // The stored body holds null (or 0) where the event holds Infinity (or -0).
      expect(isDeepStrictEqual(event.entities, projectedFromStored('evt-1', body).entities), value).toBe(
        false,
      );
      expect(handedOver('evt-1', event, SETTINGS), value).toBeNull();
    }
    const { event } = accepted(fixtureBodies().get('product.created')!);
    expect(handedOver('evt-1', event, { ...SETTINGS, clockSkewMs: Number.POSITIVE_INFINITY })).toBeNull();
  });

  it('hands nothing over for objects JSON would not give back: another prototype, a __proto__ key, undefined', () => {
    const { event } = accepted(fixtureBodies().get('product.created')!);
    const withSpecs = (specs: unknown): ParsedEvent => ({
      ...event,
      entities: [{ ...event.entities[0]!, specs }],
    });
    const inherited = Object.create({ hidden: 'from the prototype' }) as Record<string, unknown>;
    inherited.ram = '16GB';
    expect(handedOver('evt-1', withSpecs(inherited), SETTINGS)).toBeNull();
    expect(handedOver('evt-1', withSpecs(JSON.parse('{"__proto__": {"x": 1}}')), SETTINGS)).toBeNull();
    expect(handedOver('evt-1', withSpecs({ ram: undefined }), SETTINGS)).toBeNull();
    expect(handedOver('evt-1', withSpecs(new Date(0)), SETTINGS)).toBeNull();
    expect(
      handedOver('evt-1', withSpecs({ ram: '16GB', list: [1, 'a', null, { ok: true }] }), SETTINGS),
    ).not.toBeNull();
  });

  it('hands over an entity that had a __proto__ key as its stored body reads back: without it', () => {
    const { event, body } = accepted(productWith('{"__proto__": {"x": 1}, "y": 2}'));
    const handed = handedOver('evt-1', event, SETTINGS);
    expect(handed).not.toBeNull();
    const fromStored = projectedFromStored('evt-1', body);
    expect(isDeepStrictEqual(handed!.event, fromStored)).toBe(true);
    for (const entity of [handed!.event.entities[0]!, fromStored.entities[0]!]) {
      expect(entity.specs).toEqual({ ram: '16GB', odd: { y: 2 } });
      expect((entity.specs as { odd: { x?: unknown } }).odd.x).toBeUndefined();
    }
  });

  it('feeds parseBatch beside stored bodies, with the same projection as parsing them all', () => {
    const bodies = [...fixtureBodies().values()].map((raw) => accepted(raw));
    const queuedStored = bodies.map(({ body }, n) => ({
      id: `evt-${n}`,
      body,
      receivedAt: n,
      settings: SETTINGS,
    }));
    const queuedMixed = bodies.map(({ event, body }, n) => {
      const handed = handedOver(`evt-${n}`, event, SETTINGS);
      return n % 2 === 0 && handed
        ? { id: `evt-${n}`, event: handed.event, receivedAt: n, settings: handed.settings }
        : { id: `evt-${n}`, body, receivedAt: n, settings: SETTINGS };
    });
    const fromStored = projectBatch(parseBatch(queuedStored), new Map());
    const fromMixed = projectBatch(parseBatch(queuedMixed), new Map());
    expect(fromStored.changed.length).toBeGreaterThan(0);
    expect(isDeepStrictEqual(fromMixed, fromStored)).toBe(true);
  });
});

describe('ProjectionHandoff', () => {
  const handed = (id: string): HandedOver => {
    const { event } = accepted(fixtureBodies().get('employee.updated')!);
    return handedOver(id, event, SETTINGS)!;
  };

  it('answers an entry only for the event it was kept for', () => {
    const handoff = new ProjectionHandoff(8);
    handoff.keep(1, 'evt-a', handed('evt-a'));
    expect(handoff.find(1, 'evt-a')?.event.id).toBe('evt-a');
    // The commit of evt-a rolled back, and evt-b took its position.
    expect(handoff.find(1, 'evt-b')).toBeUndefined();
    expect(handoff.find(2, 'evt-a')).toBeUndefined();
  });

  it('is bounded: when full it keeps no new entry (but replaces one at a kept position), and it empties', () => {
    const handoff = new ProjectionHandoff(2);
    handoff.keep(1, 'evt-a', handed('evt-a'));
    handoff.keep(2, 'evt-b', handed('evt-b'));
    handoff.keep(3, 'evt-c', handed('evt-c'));
    expect(handoff.size).toBe(2);
    expect(handoff.find(3, 'evt-c')).toBeUndefined();
    handoff.keep(2, 'evt-d', handed('evt-d'));
    expect(handoff.find(2, 'evt-d')?.event.id).toBe('evt-d');
    expect(handoff.find(2, 'evt-b')).toBeUndefined();
    // Nothing to hand over for a new row at a kept position: the old entry goes.
    handoff.keep(1, 'evt-e', null);
    expect(handoff.size).toBe(1);
    handoff.forget(2);
    expect(handoff.size).toBe(0);
    handoff.keep(5, 'evt-f', handed('evt-f'));
    handoff.clear();
    expect(handoff.size).toBe(0);
  });

  it('keeps nothing with capacity 0, and 8,192 entries by default', () => {
    const none = new ProjectionHandoff(0);
    none.keep(1, 'evt-a', handed('evt-a'));
    expect(none.size).toBe(0);
    const byDefault = new ProjectionHandoff();
    const one = handed('evt-x');
    for (let seq = 1; seq <= 9000; seq += 1) byDefault.keep(seq, 'evt-x', one);
    expect(byDefault.size).toBe(8192);
  });
});
