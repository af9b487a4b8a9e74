import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, descendants } from '../../../cli/program.js';

/** Parses `anvil machine remediate m ...flags`; what the parser refused, as the user reads it. */
async function remediateRefusal(...flags: string[]): Promise<{ code: string; said: string }> {
  const program = buildProgram();
  let said = '';
  const remediate = descendants(program).find((c) => c.name() === 'remediate' && c.parent?.name() === 'machine')!;
  remediate.configureOutput({ writeErr: (s) => (said += s) });
  const refused = await program.parseAsync(['node', 'anvil', 'machine', 'remediate', 'm', ...flags]).then(
    () => null,
    (err: unknown) => err,
  );
  expect(refused).toBeInstanceOf(CommanderError);
  return { code: (refused as CommanderError).code, said };
}

describe('anvil machine remediate', () => {
  it.each([
    ['--retry-limit', '3abc', 'an integer from 1 to 10'],
    ['--retry-limit', '-1', 'an integer from 1 to 10'],
    ['--retry-limit', '1.5', 'an integer from 1 to 10'],
    ['--retry-limit', '11', 'an integer from 1 to 10'],
    ['--retry-limit', '0', 'an integer from 1 to 10'],
    ['--timeout', '60s', 'an integer from 1 to 86400'],
    ['--timeout', '0x10', 'an integer from 1 to 86400'],
    ['--timeout', '86401', 'an integer from 1 to 86400'],
  ])('refuses %s %s before asking the API, in one line', async (flag, value, expected) => {
    const { code, said } = await remediateRefusal(flag, value);
    expect(code).toBe('commander.invalidArgument');
    expect(said).toMatch(
      new RegExp(`^anvil: option '${flag} <[a-z]+>' argument '${value}' is invalid\\. expected ${expected}\\.`),
    );
    expect(said.trimEnd().split('\n')).toHaveLength(1);
  });
});
