// Which documents are datasets, as the server answers it: the status request answers null for a file
// no task reads. The client never guesses from a file's name or extension (a spans task reads source
// files of any language). Answers are remembered until the server says that something changed.
import type { LanguageClient } from 'vscode-languageclient/node';
import { StatusRequest, type DatasetStatus } from '../../server/src/protocol';

export class Datasets {
  private readonly known = new Map<string, boolean>();

  constructor(private readonly client: LanguageClient) {}

  /** The server's status of a document (null: not a dataset, or the server could not say). */
  async status(uri: string): Promise<DatasetStatus | null> {
    let status: DatasetStatus | null;
    try {
      status = await this.client.sendRequest(StatusRequest.type, { uri });
    } catch {
      return null; // not an answer: asked again next time
    }
    this.known.set(uri, status !== null);
    return status;
  }

  /** True when the server said the document is a dataset; asks it the first time. */
  async isDataset(uri: string): Promise<boolean> {
    const known = this.known.get(uri);
    return known ?? (await this.status(uri)) !== null;
  }

  /** The server said that labels, the config or a model changed: which files are datasets may have too. */
  forget(): void {
    this.known.clear();
  }
}
