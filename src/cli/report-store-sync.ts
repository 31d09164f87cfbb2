/**
 * The CLI's hook to the report store (report.store; evidence/report-store.ts): one session per command, attached to the
 * report request. Its pull runs once (when restore-test-freshness first asks for the stored reports, or just before the
 * reports are written); the push runs after every file is written. Without a report directory there is nothing to keep.
 */
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { type ReportStoreTarget, pullReportStore, pushReportStore } from '../evidence/report-store.js';
import { once } from '../run/gateways.js';
import type { Output } from './io.js';
import type { ReportRequest, ReportStoreSession } from './report-files.js';

/** The request with the store attached when report.store is configured and the reports go to a directory. */
export function withReportStore(request: ReportRequest, config: Config | undefined, output: Output): ReportRequest {
  const store = config?.report?.store;
  if (!store) return request;
  if (!request.outDir) {
    output.err('report store: not used, the report goes to stdout (set report.dir or --out-dir to keep it in the store)');
    return request;
  }
  const dir = resolve(request.outDir);
  const azure = config.azure;
  const target = once(async (): Promise<ReportStoreTarget> => {
    // Loaded only by a run that has a store: the SDK takes a third of a second to load.
    const { BlobReportStore } = await import('../azure/report-store-gateway.js');
    const blobs = new BlobReportStore(
      { ...store, ...((store.resourceGroup ?? azure?.storage?.resourceGroup) ? { resourceGroup: store.resourceGroup ?? azure?.storage?.resourceGroup } : {}) },
      {
        requestTimeoutMs: azure?.requestTimeoutMs ?? 30_000,
        maxRetries: azure?.maxRetries ?? 3,
        ...(azure ? { subscriptionId: azure.subscriptionId } : {}),
      },
    );
    return {
      blobs,
      prefix: store.prefix ?? `${config.environment}/`,
      maxReports: store.maxReports,
      timeoutMs: store.timeoutMs,
      log: (line) => output.err(line),
    };
  });
  const pull = once(async () => pullReportStore(await target(), dir));
  const session: ReportStoreSession = { dir, pull, push: async (files) => pushReportStore(await target(), dir, await pull(), files) };
  return { ...request, store: session };
}
