// Bulk accept: how many unlabeled samples of a file have a prediction at least as sure as a score,
// and accepting them all in one durable write (through the same decision path as a quick fix).
import { formatSet } from '../../core/labelSets';
import { BulkAcceptRequest, BulkPreviewRequest } from '../../protocol';
import { guarded, located, type ServerContext } from '../context';

export function listenBulk(context: ServerContext): void {
  const { connection, service } = context;
  connection.onRequest(BulkPreviewRequest.type, ({ uri, minScore }, token) =>
    guarded(context, 'counting predictions', async () => {
      const at = located(context, uri);
      if (!at) return { count: 0, byLabel: {} };
      const decisions = await service.acceptable(at, minScore, token);
      const byLabel: Record<string, number> = Object.create(null);
      for (const d of decisions) {
        const key = d.labels ? formatSet(d.labels) : d.label ?? '';
        byLabel[key] = (byLabel[key] ?? 0) + 1;
      }
      return { count: decisions.length, byLabel };
    }),
  );

  connection.onRequest(BulkAcceptRequest.type, ({ uri, minScore }, token) =>
    guarded(context, 'accepting predictions', async () => {
      const at = located(context, uri);
      if (!at) return { written: 0 };
      const decisions = await service.acceptable(at, minScore, token);
      return { written: decisions.length === 0 ? 0 : service.decide(at, decisions).length };
    }),
  );
}
