/**
 * The projection, read in pages (reconciliation's key index lives in the store: `indexRunKeys`).
 */
import type { EntitySnapshot } from '../core/projection.ts';
import type { EntityKind } from '../growrk/types.ts';
import type { Store } from '../store/types.ts';

/** Entities read per page of the projection. */
export const PROJECTION_PAGE = 1000;

/** Every entity of a kind after `afterId` (from the first when null), one page at a time, in id order. */
export async function* projectionPages(
  store: Store,
  kind: EntityKind,
  signal?: AbortSignal,
  afterId: string | null = null,
): AsyncGenerator<EntitySnapshot[]> {
  let after = afterId ?? undefined;
  for (;;) {
    signal?.throwIfAborted();
    const page = await store.listEntities(kind, { afterId: after, limit: PROJECTION_PAGE });
    if (page.length === 0) return;
    yield page;
    if (page.length < PROJECTION_PAGE) return;
    after = page[page.length - 1]!.id;
  }
}
