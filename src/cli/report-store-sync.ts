/**
 * The CLI's hook to the report store (report.store; evidence/report-store.ts): one session per command, attached to the
 * report request. The command pulls once before its run (a store that cannot be read stops it before the checks or the
 * restore; restore-test-freshness reads what that pull brought), emitReports pulls again just before the JSON joins the
 * chain (what another run stored meanwhile), and pushes after every file is written. Without a report directory there is
 * nothing to keep.
 */
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { EvaluationError } from '../errors.js';
import { type PulledStore, type ReportStoreTarget, pullReportStore, pushReportStore } from '../evidence/report-store.js';
import { once } from '../run/gateways.js';
import type { Output } from './io.js';
import type { ReportRequest, ReportStoreSession } from './report-files.js';

/**
 * The request with the store attached when report.store is configured and the reports go to a directory.
 * `push: false` (a `--shard` run): the store is read, not written; the shard's report stays in its directory for
 * `report merge`, which stores the fleet's one report (N shard jobs writing one chain at once would race for its head).
 */
export function withReportStore(request: ReportRequest, config: Config | undefined, output: Output, options: { push?: boolean } = {}): ReportRequest {
  const store = config?.report?.store;
  if (!store) return request;
  if (!request.outDir) {
    output.err('report store: not used, the report goes to stdout (set report.dir or --out-dir to keep it in the store)');
    return request;
  }
  const dir = resolve(request.outDir);
  const azure = config.azure;
  const lineCache = new Map<number, string>();
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
      lineCache,
      ...(request.signer ? { signer: request.signer } : {}),
    };
  });
  let last: PulledStore | undefined;
  const pull = async (): Promise<PulledStore> => {
    const pulled = await storeStep(() => target().then((t) => pullReportStore(t, dir)), 'read');
    last = pulled;
    return pulled;
  };
  const session: ReportStoreSession = {
    dir,
    pull,
    ensurePulled: once(pull),
    push: async (files) => {
      if (options.push === false) {
        output.err(`report store: this shard's report stays in ${dir}; \`restorecheck report merge\` stores the fleet's report`);
        return;
      }
      const pulled = last ?? (await pull());
      await storeStep(async () => pushReportStore(await target(), dir, pulled, files), 'write');
    },
  };
  return { ...request, store: session };
}

/** A store error names the store in its message, and its hint says what happened to the record. */
async function storeStep<T>(step: () => Promise<T>, what: 'read' | 'write'): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof EvaluationError)) throw error;
    const consequence =
      what === 'read'
        ? 'no report was written, so no chain was restarted; run again once the store can be read'
        : 'the report is in the local report directory only; keep it with the job artifacts';
    throw new EvaluationError(
      error.kind,
      `report store: ${error.message}`,
      error.kind === 'conflict'
        ? `${error.hint}; ${consequence}`
        : `${error.hint}; check report.store (account, container, blobEndpoint or connectionString); ${consequence}`,
      {
        ...(error.requestId ? { requestId: error.requestId } : {}),
        cause: error,
      },
    );
  }
}
