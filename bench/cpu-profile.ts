/**
 * CPU profiles of a stretch of a benchmark, taken in-process with the
 * inspector (so set-up is not in them), and where their time goes: the
 * functions with the most self time, and the share of each area of code.
 */
import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector/promises';

export async function profiled<T>(
  file: string,
  work: () => Promise<T>,
): Promise<{ result: T; profile: Profiler.Profile }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    return { result, profile };
  } finally {
    session.disconnect();
  }
}

const OURS = /\/(api|services|server|bmc-drivers|pxe|ipam|contract)\/([^/]+)/;

/** The area a frame belongs to: a folder of ours, a package, or Node/V8 itself. */
function areaOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = OURS.exec(url);
  if (ours) return `${ours[1]!}/${ours[2]!.replace(/\.ts$/, '')}`;
  return url.startsWith('node:') ? url.split('/').slice(0, 2).join('/') : url;
}

/** Where a frame is, without the checkout's path. */
function placeOf(url: string): string {
  const pkg = /node_modules\/(.*)$/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = OURS.exec(url);
  return ours ? url.slice(ours.index + 1) : url;
}

/** Self time by function (the top `n`) and by area, as percentages of the samples. */
export function summarize(profile: Profiler.Profile, n = 20): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const dt = deltas[i] ?? 0;
    hits.set(id, (hits.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, t] of hits) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = functionName || '(anonymous)';
    const key = `${name} ${placeOf(url)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + t);
    const area = areaOf(url, name);
    byArea.set(area, (byArea.get(area) ?? 0) + t);
  }
  const pct = (t: number) => `${((100 * t) / total).toFixed(1)}%`;
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, n);
  const areas = [...byArea].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `| self time | function |`,
    `|---|---|`,
    ...top.map(([k, t]) => `| ${pct(t)} | \`${k}\` |`),
    '',
    `| self time | area |`,
    `|---|---|`,
    ...areas.map(([k, t]) => `| ${pct(t)} | ${k} |`),
  ].join('\n');
}
