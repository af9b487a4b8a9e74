import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { ChildFailed } from '../errors.js';
import { withExamples } from '../help-text.js';
import { programArgs } from '../programs.js';

/** anvil-sim's flags that `anvil sim` passes on, by commander's option key. */
const FORWARDED = {
  hosts: '--hosts',
  redfishPort: '--redfish-port',
  ipmiBasePort: '--ipmi-base-port',
  manifest: '--manifest',
  bind: '--bind',
  bmcUsername: '--username',
  bmcPassword: '--password',
  prefix: '--prefix',
  seed: '--seed',
  bootHttp: '--boot-http',
  bootTftp: '--boot-tftp',
} as const;

export function simCommand(): Command {
  const command = new Command('sim')
    .description('run a simulated fleet (Redfish and IPMI BMCs) in the foreground to try Anvil on; Ctrl-C stops it')
    .option('--hosts <n>', 'how many hosts', '4')
    .option('--redfish-port <port>', 'the Redfish endpoint for every host (0: any free port)', '8000')
    .option('--ipmi-base-port <port>', 'host i answers IPMI on this port + i (0: any free ports)', '6230')
    .option('--manifest <file>', 'write the manifest (for `anvil enroll -f`) here instead of stdout')
    .option('--bind <address>', 'address to listen on', '127.0.0.1')
    // Not --username/--password: those are the CLI's own credentials for the API, on every command.
    .option('--bmc-username <user>', 'BMC user name')
    .option('--bmc-password <password>', 'BMC password')
    .option('--prefix <prefix>', 'host name prefix', 'sim-')
    .option('--seed <n>', 'seed for MACs and hardware')
    .option('--boot-http <url>', "Anvil's HTTP boot server: hosts then network-boot and run the agent")
    .option('--boot-tftp <ip:port>', "Anvil's TFTP server")
    .action(async (flags: Partial<Record<keyof typeof FORWARDED, string>>) => {
      const args: string[] = [];
      for (const [key, flag] of Object.entries(FORWARDED) as [keyof typeof FORWARDED, string][]) {
        const value = flags[key];
        if (value !== undefined) args.push(flag, value);
      }
      process.exitCode = await runChild(process.execPath, [...programArgs('anvil-sim'), ...args]);
    });
  return withExamples(
    command,
    'anvil sim --hosts 8 --manifest sim.json     # then, in another shell:',
    '  anvil enroll -f sim.json && anvil node manage --selector state=enroll --wait',
  );
}

function runChild(program: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: 'inherit' });
    // The terminal sends Ctrl-C to both; a SIGTERM sent to this process alone is passed on.
    const ignore = () => {};
    const forward = () => child.kill('SIGTERM');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    child.once('error', (err) => reject(new ChildFailed(`cannot start anvil-sim: ${err.message}`)));
    child.once('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}
