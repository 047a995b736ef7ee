// Loads the demo county 青山县 (db/demo/qingshan) into an empty database at start, through the
// same domain operations the API uses: regions, then for each village its officials, decisions,
// opening balance and ledger upload (ZIP with vouchers), published through the sample's last period.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { systemActor } from './audit.ts';
import type { Db } from './client.ts';
import type { LogSigner } from './ledger/checkpoint.ts';
import { importLedger } from './ledger/import.ts';
import { publish } from './ledger/publish.ts';
import { savePolicy, savePower, type PolicyInput, type PowerInput } from './powers.ts';
import { countRegions, upsertRegions, type RegionInput } from './regions.ts';
import type { BlobStore } from './vouchers/storage.ts';
import { createDecision, replaceOfficials, setOpeningBalance, type DecisionInput, type OfficialInput } from './villages.ts';

export const demoDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo', 'qingshan');

export async function readDemoRegions(dir = demoDir): Promise<RegionInput[]> {
  const text = await readFile(path.join(dir, 'regions.csv'), 'utf8');
  return parse(text, { columns: true, skip_empty_lines: true, trim: true }) as RegionInput[];
}

/** Whether the database holds no data yet (the demo is loaded only into an empty one). */
export async function isEmpty(db: Db): Promise<boolean> {
  return (await countRegions(db)) === 0;
}

export interface DemoSummary {
  regions: number;
  villages: number;
  entries: number;
  vouchers: number;
  periods: number;
}

export interface DemoInput {
  db: Db;
  now: Date;
  signer: LogSigner;
  store: BlobStore;
  dir?: string;
  /** Publish every draft period through this one (the sample's truth.throughPeriod by default). */
  through?: string;
}

const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

export async function loadDemo(input: DemoInput): Promise<DemoSummary> {
  const dir = input.dir ?? demoDir;
  const ctx = { db: input.db, now: input.now, actor: systemActor('demo') };
  const { upserted } = await upsertRegions({ ...ctx, input: await readDemoRegions(dir) });
  const truth = await readJson<{ throughPeriod: string }>(path.join(dir, 'truth.json'));
  const through = input.through ?? truth.throughPeriod;
  const summary: DemoSummary = { regions: upserted, villages: 0, entries: 0, vouchers: 0, periods: 0 };
  // The micro-power list and policies were written for the demo, for the whole county.
  const county = (await readDemoRegions(dir)).find((r) => r.code.endsWith('000000'))!.code;
  for (const [i, power] of (await readJson<PowerInput[]>(path.join(dir, 'powers.json'))).entries()) {
    await savePower({ ...ctx, input: { regionCode: county, power: { ...power, position: i } } });
  }
  for (const policy of await readJson<PolicyInput[]>(path.join(dir, 'policies.json'))) {
    await savePolicy({ ...ctx, input: { regionCode: county, policy } });
  }
  const villagesDir = path.join(dir, 'villages');
  for (const code of (await readdir(villagesDir)).sort()) {
    const v = (name: string) => path.join(villagesDir, code, name);
    await replaceOfficials({ ...ctx, input: { villageCode: code, officials: await readJson<OfficialInput[]>(v('officials.json')) } });
    for (const decision of await readJson<DecisionInput[]>(v('decisions.json'))) {
      await createDecision({ ...ctx, input: { villageCode: code, decision } });
    }
    const opening = await readJson<{ date: string; amountFen: number }>(v('opening-balance.json'));
    await setOpeningBalance({ ...ctx, input: { villageCode: code, ...opening } });
    const zip = v('ledger.zip');
    const imported = await importLedger({
      ...ctx,
      store: input.store,
      input: { villageCode: code, file: { path: zip, name: 'ledger.zip', size: (await stat(zip)).size, sha256: await sha256File(zip) } },
    });
    const published = await publish({ ...ctx, signer: input.signer, input: { villageCode: code, through } });
    summary.villages++;
    summary.entries += imported.entries;
    summary.vouchers += imported.vouchers;
    summary.periods += published.periods.length;
  }
  // Statistics for the planner after a bulk load (the embedded database has no autovacuum).
  await input.db.execute(sql`analyze`);
  return summary;
}
