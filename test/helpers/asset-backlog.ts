import { createHash } from 'node:crypto';
import type { AppConfig } from '../../src/config/types.ts';
import { newId } from '../../src/core/ids.ts';
import { parseEnvelope } from '../../src/growrk/envelope.ts';
import { createLogger } from '../../src/log.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import type { IngestInput, Store } from '../../src/store/types.ts';
import { createConnectorRuntime } from '../../src/sync/runtime.ts';
import { fixture } from './fixtures.ts';

/**
 * Queues `total` HubSpot asset syncs cheaply: one product.created event per asset straight into
 * the store's ingest (the projection and one job each, as a webhook would leave them), in
 * concurrent chunks so they share group commits. No HTTP, no signatures.
 */
export async function seedAssetBacklog(
  store: Store,
  total: number,
  jobConnectors: IngestInput['jobConnectors'] = { product: ['hubspot'] },
): Promise<void> {
  const template = fixture('product.created') as Record<string, unknown> & {
    products: Array<Record<string, unknown>>;
  };
  const chunk = 2000;
  for (let start = 0; start < total; start += chunk) {
    const inputs: IngestInput[] = [];
    for (let i = start; i < Math.min(total, start + chunk); i += 1) {
      const json = {
        ...template,
        products: [{ ...template.products[0], id: `p-${i}`, serialNumber: `SN-${i}` }],
      };
      const body = JSON.stringify(json);
      const receivedAt = Date.now();
      inputs.push({
        id: newId('evt', receivedAt),
        bodyHash: createHash('sha256').update(body).digest('hex'),
        receivedAt,
        status: 'accepted',
        event: parseEnvelope(json, []),
        body,
        jobConnectors,
      });
    }
    await Promise.all(inputs.map((input) => store.ingest(input)));
  }
}

/**
 * Leaves the SQLite database at `path` as a service would find it behind a HubSpot backlog:
 * `assets` asset syncs queued ({@link seedAssetBacklog}) and HubSpot's setup done (`init`).
 */
export async function queueHubSpotBacklog(path: string, config: AppConfig, assets: number): Promise<void> {
  const seeding = new SqliteStore({ path });
  await seeding.migrate();
  if (assets > 0) await seedAssetBacklog(seeding, assets);
  const runtime = await createConnectorRuntime({
    config,
    store: seeding,
    logger: createLogger('silent'),
    only: ['hubspot'],
  });
  const loaded = runtime.connectors.get('hubspot')!;
  await loaded.definition.init(loaded.ctx, { dryRun: false });
  await seeding.close();
}
