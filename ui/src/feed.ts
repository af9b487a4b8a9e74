import { signal } from '@preact/signals';
import { ApiError, errorMessageOf, type ApiClient } from './api.js';

export type ChangeKind = 'node' | 'allocation' | 'ipam_claim' | 'machine';

/** One record of Anvil's change feed (`/v1/anvil/events`). */
export interface Change {
  cursor: string;
  kind: ChangeKind;
  action: 'created' | 'updated' | 'deleted';
  uuid: string;
  data: Record<string, unknown>;
  created_at: string;
}

export type FeedStatus = 'connecting' | 'live' | 'reconnecting';

/** The most changes a page keeps to show as "what is happening now". */
const RECENT = 50;
const RETRY_MS = [500, 1000, 2000, 5000, 10_000];

/**
 * Follows the change feed's Server-Sent Events stream (read with fetch, so
 * it carries the user's credentials, which EventSource cannot). A lost
 * connection shows as `reconnecting` and resumes from the last cursor seen,
 * so nothing in between is missed; a cursor the feed no longer holds (410)
 * makes the pages reload what they show.
 */
export class FeedFollower {
  readonly status = signal<FeedStatus>('connecting');
  readonly recent = signal<Change[]>([]);
  private cursor = 'now';
  private readonly stop = new AbortController();

  constructor(
    private readonly client: ApiClient,
    private readonly onChanges: (changes: Change[]) => void,
    private readonly onGap: () => Promise<string>,
  ) {}

  /** Follows from `cursor` (the position the pages' data was read at). */
  startFrom(cursor: string): void {
    this.cursor = cursor;
    void this.run();
  }

  close(): void {
    this.stop.abort();
  }

  /** A method, not the flag itself: the flag changes under awaits, which narrowing cannot see. */
  private stopped(): boolean {
    return this.stop.signal.aborted;
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.stopped();) {
      try {
        await this.follow();
        failures = 0;
      } catch (err) {
        if (this.stopped()) return;
        if (err instanceof ApiError && err.status === 410) {
          this.cursor = await this.onGap().catch(() => this.cursor);
          continue;
        }
        failures++;
      }
      if (this.stopped()) return;
      this.status.value = 'reconnecting';
      await sleep(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]!, this.stop.signal);
    }
  }

  private async follow(): Promise<void> {
    const url = `${this.client.base}/v1/anvil/events/stream?since=${encodeURIComponent(this.cursor)}`;
    const response = await fetch(url, { headers: this.client.headers(), signal: this.stop.signal });
    if (!response.ok || response.body === null) throw new ApiError(response.status, await errorMessageOf(response));
    this.status.value = 'live';
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop() ?? '';
      const changes: Change[] = [];
      for (const block of blocks) {
        const event = parseEvent(block);
        if (event === null) continue;
        if (event.type === 'error') {
          const { status, faultstring } = JSON.parse(event.data) as { status: number; faultstring: string };
          throw new ApiError(status, faultstring);
        }
        const change = JSON.parse(event.data) as Change;
        this.cursor = change.cursor;
        changes.push(change);
      }
      if (changes.length > 0) {
        this.recent.value = [...changes].reverse().concat(this.recent.value).slice(0, RECENT);
        this.onChanges(changes);
      }
    }
  }
}

function parseEvent(block: string): { type: string; data: string } | null {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  return data.length === 0 ? null : { type, data: data.join('\n') };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
