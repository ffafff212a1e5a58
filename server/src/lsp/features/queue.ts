// The review queue (the Review Queue view) and "next sample to review".
import { pathToFileURL } from 'node:url';
import { excerpt } from '../../core/jsonl';
import { formatSet, predictedLabels, sameSet } from '../../core/labelSets';
import type { QueueItem } from '../../core/reviewQueue';
import { NextSampleRequest, QueueRequest, type QueueEntry } from '../../protocol';
import { guarded, located, type ServerContext } from '../context';

function toQueueEntry(item: QueueItem): QueueEntry {
  const entry: QueueEntry = { uri: pathToFileURL(item.path).toString(), line: item.line, sampleId: item.sampleId, excerpt: excerpt(item.text, 80) };
  if (item.prediction) {
    entry.label = item.prediction.labels ? formatSet(item.prediction.labels) : item.prediction.label;
    if (item.prediction.labels) entry.labels = item.prediction.labels;
    entry.score = item.prediction.score;
    entry.origin = item.prediction.origin;
  }
  if (item.model && !item.model.coldStart && item.file) {
    const { model, file } = item;
    if (model.labels || file.labels) {
      if (!sameSet(predictedLabels(model), predictedLabels(file))) entry.disagreement = `model ${formatSet(predictedLabels(model))}, file ${formatSet(predictedLabels(file))}`;
    } else if (model.label !== file.label) {
      entry.disagreement = `model '${model.label}', file '${file.label}'`;
    }
  }
  return entry;
}

export function listenQueue(context: ServerContext): void {
  const { connection, service } = context;
  connection.onRequest(QueueRequest.type, ({ uri, n }, token) =>
    guarded(context, 'computing the review queue', async () => {
      const at = typeof uri === 'string' ? located(context, uri) : undefined;
      const project = at?.project ?? service.projects[0];
      if (!project) return null;
      const task = (at ? project.taskOf(at.file) : undefined) ?? project.config.tasks[0];
      if (!task) return null;
      const items = await service.queue(project, task, Math.max(1, Math.min(n, 500)), token);
      return { task: task.name, strategy: task.queue.strategy, items: items.map(toQueueEntry) };
    }),
  );

  connection.onRequest(NextSampleRequest.type, ({ uri, line }, token) =>
    guarded(context, 'finding the next sample', async () => {
      const at = located(context, uri);
      const next = at ? await service.nextSample(at, line, token) : undefined;
      return next ? { uri: pathToFileURL(next.path).toString(), line: next.line, character: next.range.start, endCharacter: next.range.end } : null;
    }),
  );
}
