import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { contextOf } from '../context.js';
import { ApiError, Unreachable } from '../errors.js';
import { withExamples } from '../help-text.js';
import type { AnvilClient } from '../http-client.js';
import type { Column, OutputFormat } from '../output.js';
import { yamlModule } from '../yaml-module.js';

interface EventRecord {
  cursor: string;
  kind: string;
  action: string;
  uuid: string;
  data: Record<string, unknown>;
  created_at: string;
}

interface EventsAnswer {
  events: EventRecord[];
  cursor: string;
}

/** What a follow asks the server to wait for: well inside the client's own request timeout. */
const POLL_WAIT_SECONDS = 25;
/** After a dropped connection: the first wait before asking again, doubled up to the longest. */
const RETRY_FIRST_MS = 500;
const RETRY_LONGEST_MS = 10_000;

const EVENT_COLUMNS: Column<EventRecord>[] = [
  { header: 'Cursor', value: (e) => e.cursor },
  { header: 'Time', value: (e) => e.created_at },
  { header: 'Event', value: (e) => `${e.kind}.${e.action}` },
  { header: 'UUID', value: (e) => e.uuid },
  { header: 'Summary', value: summary },
];

interface EventsFlags {
  since?: string;
  limit?: number;
  follow?: boolean;
}

export function eventsCommand(): Command {
  return withExamples(
    new Command('events')
      .description(
        'the change feed: every change to nodes, allocations, IPAM claims and machines, in commit order, each with its cursor',
      )
      .option(
        '--since <cursor>',
        'only the events after this cursor; "now": only what comes next (default: the oldest kept)',
      )
      .option('--limit <n>', 'at most this many events (without --follow)', parseLimit)
      .option(
        '-f, --follow',
        'print events as they commit, resuming from the last cursor after a dropped connection, until Ctrl-C or SIGTERM',
      )
      .action(async (flags: EventsFlags, cmd: Command) => {
        const ctx = contextOf(cmd);
        if (flags.follow) {
          await followEvents(ctx.client, flags.since, ctx.printer.format);
          return;
        }
        const query = new URLSearchParams();
        if (flags.since !== undefined) query.set('since', flags.since);
        if (flags.limit !== undefined) query.set('limit', String(flags.limit));
        const answer = await ctx.client.get<EventsAnswer>(`/v1/anvil/events?${query.toString()}`);
        ctx.printer.list(answer.events, EVENT_COLUMNS, { events: answer.events, cursor: answer.cursor });
        if (ctx.printer.format === 'table')
          process.stdout.write(`cursor ${answer.cursor}: go on with --since ${answer.cursor}\n`);
      }),
    'anvil events',
    'anvil events --since now --follow',
    'anvil events --follow -o json | jq -c "select(.kind == \\"node\\") | [.uuid, .data.provision_state]"',
    '',
    'A cursor older than the feed keeps is refused (HTTP 410): list the resources afresh, then follow from --since now.',
  );
}

/**
 * Long polls from `since` until SIGINT or SIGTERM, printing each event as it
 * comes: a line per event for people, one JSON object per line (or a YAML
 * document each) for scripts. A dropped connection or a server error is
 * retried from the last cursor, so nothing is missed or printed twice; what
 * the server refuses (a bad or expired cursor) ends the command.
 */
async function followEvents(client: AnvilClient, since: string | undefined, format: OutputFormat): Promise<void> {
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  // A function, not the flag itself: the compiler cannot see a signal handler set it meanwhile.
  const stopped = () => stopping.signal.aborted;
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let cursor = since;
  let retryMs = RETRY_FIRST_MS;
  try {
    while (!stopped()) {
      const query = new URLSearchParams({ wait: String(POLL_WAIT_SECONDS) });
      if (cursor !== undefined) query.set('since', cursor);
      let answer: EventsAnswer;
      try {
        answer = await client.get<EventsAnswer>(`/v1/anvil/events?${query.toString()}`, stopping.signal);
      } catch (err) {
        if (stopped()) return;
        if (!(err instanceof Unreachable || (err instanceof ApiError && err.status >= 500))) throw err;
        process.stderr.write(
          `anvil: ${err.message}; following again from cursor ${cursor ?? '(the oldest)'} in ${retryMs / 1000} s\n`,
        );
        await sleep(retryMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        retryMs = Math.min(retryMs * 2, RETRY_LONGEST_MS);
        continue;
      }
      retryMs = RETRY_FIRST_MS;
      for (const event of answer.events) process.stdout.write(eventText(event, format));
      cursor = answer.cursor;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function eventText(event: EventRecord, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(event)}\n`;
  if (format === 'yaml') return `---\n${yamlModule().stringify(event)}`;
  return `${[event.cursor, event.created_at, `${event.kind}.${event.action}`, event.uuid, summary(event)].join('  ')}\n`;
}

/** What changed, in a few words: a node's states, an allocation's state and node, a claim's address. */
function summary(event: EventRecord): string {
  const d = event.data;
  const word = (key: string) => (typeof d[key] === 'string' || typeof d[key] === 'boolean' ? String(d[key]) : '');
  switch (event.kind) {
    case 'node': {
      const target = word('target_provision_state');
      const parts = [
        `${word('provision_state')}${target ? ` -> ${target}` : ''}`,
        word('power_state'),
        d.maintenance === true ? `maintenance: ${word('maintenance_reason') || 'yes'}` : '',
        word('last_error') ? `error: ${word('last_error')}` : '',
      ];
      return parts.filter(Boolean).join(', ');
    }
    case 'allocation':
      return [word('state'), word('node_uuid') ? `node ${word('node_uuid')}` : ''].filter(Boolean).join(', ');
    case 'ipam_claim':
      return `${word('pool')}/${word('name')} ${word('address')}`;
    default:
      return '';
  }
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}
