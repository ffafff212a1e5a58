// The sample at a line with its label set and prediction: what the label picker offers.
import { predictedLabels, recordLabels } from '../../core/labelSets';
import { SampleAtRequest, type SampleChoice } from '../../protocol';
import { onDocument, type ServerContext } from '../context';

export function listenSampleAt(context: ServerContext): void {
  context.connection.onRequest(SampleAtRequest.type, ({ uri, line }) =>
    onDocument(context, uri, 'finding the sample', null as SampleChoice | null, (at) => {
      const info = at.project.recordInfo(at.file, line);
      if (!info) return null;
      const { shown } = info.predictions;
      return {
        sampleId: info.sample.id,
        line,
        labels: info.task.labels,
        ...(shown ? { predictedLabel: shown.label, score: shown.score } : {}),
        ...(info.current?.label !== undefined ? { currentLabel: info.current.label } : {}),
        ...(info.task.multiLabel ? {
          multiLabel: true,
          ...(shown ? { predictedLabels: predictedLabels(shown) } : {}),
          ...(info.current ? { currentLabels: recordLabels(info.current) } : {}),
          ...(shown?.scores ? { scores: shown.scores } : {}),
        } : {}),
      };
    }),
  );
}
