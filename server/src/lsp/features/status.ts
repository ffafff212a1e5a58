// The status of a dataset (labeled / total, the model's state), for the status bar.
import { StatusRequest } from '../../protocol';
import { guarded, located, type ServerContext } from '../context';

export function listenStatus(context: ServerContext): void {
  context.connection.onRequest(StatusRequest.type, ({ uri }) =>
    guarded(context, 'computing the status', async () => {
      const at = located(context, uri);
      return (at ? await context.service.status(at) : undefined) ?? null;
    }),
  );
}
