// Loads the demo county 青山县 (db/demo/qingshan) into an empty database at start,
// through the same domain operations the API uses.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { systemActor } from './audit.ts';
import type { Db } from './client.ts';
import { countRegions, upsertRegions, type RegionInput } from './regions.ts';

export const demoDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo', 'qingshan');

export async function readDemoRegions(): Promise<RegionInput[]> {
  const text = await readFile(path.join(demoDir, 'regions.csv'), 'utf8');
  return parse(text, { columns: true, skip_empty_lines: true, trim: true }) as RegionInput[];
}

/** Whether the database holds no data yet (the demo is loaded only into an empty one). */
export async function isEmpty(db: Db): Promise<boolean> {
  return (await countRegions(db)) === 0;
}

export interface DemoSummary {
  regions: number;
}

export async function loadDemo(input: { db: Db; now: Date }): Promise<DemoSummary> {
  const ctx = { db: input.db, now: input.now, actor: systemActor('demo') };
  const { upserted } = await upsertRegions({ ...ctx, input: await readDemoRegions() });
  return { regions: upserted };
}
