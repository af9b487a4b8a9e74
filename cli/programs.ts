import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The arguments that run one of this package's programs in a child Node.js:
 * from the sources through tsx when the CLI runs from them, else the built
 * one. Children, never imports: the CLI speaks to the simulator, as to
 * Anvil, from outside.
 */
export function programArgs(program: 'anvil' | 'anvil-sim'): string[] {
  const here = fileURLToPath(import.meta.url);
  const root = path.resolve(path.dirname(here), '..');
  const file = program === 'anvil' ? path.join('cli', 'anvil') : path.join('sim', 'cli');
  // tsx resolved from here, not from the working directory, which may be anywhere.
  if (here.endsWith('.ts')) return ['--import', import.meta.resolve('tsx'), path.join(root, `${file}.ts`)];
  return [path.join(root, `${file}.js`)];
}
