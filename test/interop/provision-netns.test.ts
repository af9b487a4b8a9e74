// Issue 12's first proof: a provisioning run over a network, not loopback.
//
// The test builds two Ethernet segments of network namespaces (dhcp-netns.ts'
// Lan: a bridge in a switch namespace, veth pairs into the others) and
// deletes them afterwards:
//
//   provisioning 192.0.2.0/24            management 198.51.100.0/24
//   ─────────────┬───────────            ───────────┬──────────────
//   anvil  prov0 192.0.2.1               mgmt0 198.51.100.1
//          `anvil serve`: API (HTTPS, basic auth), conductor, HTTP boot :8080,
//          TFTP :69, DHCP full mode on prov0 (leases from IPAM)
//   rf     eth0  <its MAC>, by DHCP      bmc0  198.51.100.11
//          `anvil-sim --dhcp`: one host, its Redfish (:8000) and IPMI (:623) BMC
//   ipmi   eth0  <its MAC>, by DHCP      bmc0  198.51.100.12
//          the same, the node enrolled over IPMI
//   ops    prov0 192.0.2.250             mgmt0 198.51.100.250
//          provision-netns-relay.ts: Unix sockets to the API and the sims' consoles
//
// The test process stays in the root namespace and reaches inside only
// through the relay's Unix sockets, so every packet of the run travels on
// links the test made. Each host's NIC is a veth carrying the host's MAC;
// at every PXE boot the sim runs busybox udhcpc there as its PXE ROM and
// then as iPXE, takes the address Anvil's DHCP gives (the node's IPAM
// address), fetches the boot file DHCP named from the next-server DHCP
// named, asks again as iPXE for its script URL, boots the agent kernel the
// script names, and its agent calls the API at the ipa-api-url the kernel
// command line says (https, verified against the test's CA) with the agent
// token only. The conductor drives the BMCs across the management segment
// and the agents at their DHCP addresses across the provisioning one.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollmentFromAddress } from '../../bmc-drivers/index.js';
import type { SimHostSnapshot, SimManifest, SimManifestHost } from '../../sim/host/index.js';
import { Lan, requireNetns } from './dhcp-netns.js';
import { jsonLines, makeCertificates, NsProcess, RelayedHttp, SynCounter, type Pki } from './provision-netns-rig.js';
import { requireFile, requireTool } from './tools.js';

const ready =
  requireTool('ip') &&
  requireTool('busybox') && // udhcpc, the sim hosts' DHCP client
  requireTool('openssl') &&
  requireTool('htpasswd') &&
  requireTool('iptables') &&
  requireTool('curl') &&
  requireFile('/usr/lib/ipxe/ipxe.efi') &&
  requireFile('/usr/lib/ipxe/undionly.kpxe') &&
  requireNetns();

const ANVIL_IP = '192.0.2.1';
const OPS_IP = '192.0.2.250';
const API_URL = `https://${ANVIL_IP}:6385`;
const BOOT_URL = `http://${ANVIL_IP}:8080`;
const HEARTBEAT_MS = 300;
/** Bound on every wait for a node to settle. */
const STEP_MS = 90_000;

interface Machine {
  protocol: 'redfish' | 'ipmi';
  role: 'rf' | 'ipmi';
  ns: string;
  bmcIp: string;
  sim: NsProcess;
  control: RelayedHttp;
  host: SimManifestHost;
  mac: string;
  uuid: string;
  /** The node's IPAM address: what DHCP must give the host. */
  address: string;
  prefix: number;
}

interface HistoryRecord {
  event: string;
  event_type: string;
  severity: string;
}

const secret = (label: string) => `${label}-${randomBytes(9).toString('base64url')}`;

describe.skipIf(!ready)(
  'provisioning over a network: Anvil in one namespace, Redfish and IPMI sim hosts in others, DHCP, TFTP, HTTP boot and agents over HTTPS across veth links',
  () => {
    const tag = `n${process.pid}`;
    const OPS = { user: 'ops', password: secret('ops-pw') };
    const REDFISH_PASSWORD = secret('rf-bmc-pw');
    const SECRET_KEY = randomBytes(32).toString('hex');
    let prov: Lan | undefined;
    let mgmt: Lan | undefined;
    let anvil: NsProcess | undefined;
    let relay: NsProcess | undefined;
    let api: RelayedHttp | undefined;
    let syn: SynCounter | undefined;
    const machines: Machine[] = [];
    const sims: NsProcess[] = [];
    let dir = '';
    let pki: Pki;
    let anvilNs = '';
    let opsNs = '';
    let image = { url: '', sha256: '' };
    let started = 0;
    /** What each host's console showed after its lifecycle. */
    const after = new Map<string, SimHostSnapshot>();

    function machine(role: Machine['role']): Machine {
      const found = machines.find((m) => m.role === role);
      if (found === undefined) throw new Error(`no ${role} machine`);
      return found;
    }

    async function getNode(uuid: string): Promise<Record<string, any>> {
      const res = await api!.request('GET', `/v1/nodes/${uuid}`);
      expect(res.status, res.text).toBe(200);
      return res.body as Record<string, any>;
    }

    /** Waits until the conductor lets go of the node in `state`, or with an error (reported at once). */
    async function reaches(m: Machine, state: string, ms = STEP_MS): Promise<Record<string, any>> {
      const deadline = Date.now() + ms;
      for (;;) {
        const node = await getNode(m.uuid);
        const resting = node.reservation === null && node.target_power_state === null;
        if (resting && (node.provision_state === state || node.last_error !== null)) {
          expect(node.provision_state, `${m.role}: last_error ${String(node.last_error)}\n${await bootLog(m)}`).toBe(
            state,
          );
          return node;
        }
        if (Date.now() > deadline)
          throw new Error(
            `${m.role} not ${state} within ${ms} ms: ${String(node.provision_state)} (last_error ${String(node.last_error)})\n${await bootLog(m)}`,
          );
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    async function drive(m: Machine, body: Record<string, unknown>, state: string, version?: string) {
      const res = await api!.request('PUT', `/v1/nodes/${m.uuid}/states/provision`, body, version);
      expect(res.status, `${JSON.stringify(body)} on ${m.role}: ${res.text}`).toBe(202);
      return reaches(m, state);
    }

    async function simConsole(m: Machine): Promise<SimHostSnapshot> {
      const res = await m.control.request('GET', `/sim/v1/hosts/${encodeURIComponent(m.host.name)}`, undefined, null);
      expect(res.status, res.text).toBe(200);
      return res.body as SimHostSnapshot;
    }

    async function bootLog(m: Machine, last = 16): Promise<string> {
      const seen = await simConsole(m).catch(() => null);
      if (seen === null) return `(no console for ${m.role})`;
      return seen.bootSteps
        .slice(-last)
        .map((s) => `#${s.boot} ${s.kind} ${s.outcome} ${s.source}: ${s.detail}`)
        .join('\n');
    }

    async function history(m: Machine): Promise<HistoryRecord[]> {
      const res = await api!.request('GET', `/v1/nodes/${m.uuid}/history?detail=True`);
      expect(res.status, res.text).toBe(200);
      return res.body.history as HistoryRecord[];
    }

    /** The installed OS up with the image on the disk, as the machine's console shows it. */
    async function osRunning(m: Machine, ms = 30_000): Promise<SimHostSnapshot> {
      const deadline = Date.now() + ms;
      for (;;) {
        const seen = await simConsole(m);
        if (seen.os?.running === true && seen.disk !== null) return seen;
        if (Date.now() > deadline) throw new Error(`${m.role}'s OS did not come up:\n${await bootLog(m)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    beforeAll(async () => {
      started = Date.now();
      removeOrphanedNamespaces();
      dir = mkdtempSync(join(tmpdir(), 'anvil-provision-netns-'));
      chmodSync(dir, 0o755);
      pki = makeCertificates(dir, ANVIL_IP);
      const htpasswd = join(dir, 'htpasswd');
      execFileSync('htpasswd', ['-B', '-b', '-c', htpasswd, OPS.user, OPS.password], { stdio: 'pipe' });

      // The two segments. Host NICs are plugged once each sim has said its MAC.
      prov = new Lan(`${tag}p`);
      mgmt = new Lan(`${tag}m`);
      anvilNs = prov.ns('anvil');
      opsNs = prov.ns('ops');
      prov.plug(anvilNs, 'prov0', '02:00:00:12:00:01', `${ANVIL_IP}/24`);
      prov.plug(opsNs, 'prov0', '02:00:00:12:00:fa', `${OPS_IP}/24`);
      mgmt.plug(anvilNs, 'mgmt0', '02:00:00:12:01:01', '198.51.100.1/24');
      mgmt.plug(opsNs, 'mgmt0', '02:00:00:12:01:fa', '198.51.100.250/24');

      // What an operator puts in Anvil's data directory: the agent kernel and ramdisk, and an image.
      const data = join(dir, 'anvil');
      mkdirSync(join(data, 'boot'), { recursive: true });
      mkdirSync(join(data, 'images'), { recursive: true });
      writeFileSync(join(data, 'boot', 'ipa.kernel'), randomBytes(6 * 1024));
      writeFileSync(join(data, 'boot', 'ipa.initramfs'), randomBytes(8 * 1024));
      const disk = randomBytes(256 * 1024);
      writeFileSync(join(data, 'images', 'disk.img'), disk);
      image = { url: `${BOOT_URL}/images/disk.img`, sha256: createHash('sha256').update(disk).digest('hex') };

      anvil = new NsProcess('anvil', anvilNs, [process.execPath, '--import', 'tsx', 'cli/anvil.ts', 'serve'], {
        ANVIL_DATA_DIR: data,
        ANVIL_SECRET_KEY: SECRET_KEY,
        ANVIL_CONDUCTOR_NAME: 'anvil-netns',
        ANVIL_API_HOST: ANVIL_IP,
        ANVIL_API_PORT: '6385',
        ANVIL_AUTH: 'basic',
        ANVIL_HTPASSWD: htpasswd,
        ANVIL_TLS_CERT: pki.cert,
        ANVIL_TLS_KEY: pki.key,
        ANVIL_API_PUBLIC_URL: API_URL,
        ANVIL_HTTP_HOST: ANVIL_IP,
        ANVIL_HTTP_PORT: '8080',
        ANVIL_PUBLIC_URL: BOOT_URL,
        ANVIL_TFTP_PORT: '69',
        ANVIL_DHCP_MODE: 'full',
        ANVIL_DHCP_INTERFACE: 'prov0',
        // Everything Anvil says goes through the secret checks, debug lines included.
        ANVIL_LOG_LEVEL: 'debug',
        ANVIL_CONDUCTOR_SWEEP_INTERVAL: '0.2',
        ANVIL_BMC_TIMEOUT: '5',
        ANVIL_BMC_ATTEMPTS: '3',
        ANVIL_BMC_RETRY_DELAY: '0.2',
        ANVIL_POWER_STATE_CHANGE_TIMEOUT: '10',
        ANVIL_AGENT_HEARTBEAT_TIMEOUT: '30',
        ANVIL_CHECK_PROVISION_STATE_INTERVAL: '2',
        ANVIL_DEPLOY_CALLBACK_TIMEOUT: '80',
        ANVIL_CLEAN_CALLBACK_TIMEOUT: '80',
        ANVIL_INSPECT_WAIT_TIMEOUT: '80',
      });

      // One sim per host namespace, its BMC faces on the management address, booting by DHCP.
      const roles = [
        { role: 'rf', protocol: 'redfish', bmcIp: '198.51.100.11', seed: 1201 },
        { role: 'ipmi', protocol: 'ipmi', bmcIp: '198.51.100.12', seed: 1202 },
      ] as const;
      const pending = roles.map((r, i) => {
        const ns = prov!.ns(r.role);
        mgmt!.plug(ns, 'bmc0', `02:00:00:12:01:1${i + 1}`, `${r.bmcIp}/24`);
        const manifest = join(dir, `${r.role}.manifest.json`);
        const sim = new NsProcess(
          `sim-${r.role}`,
          ns,
          [
            process.execPath,
            '--import',
            'tsx',
            'sim/cli.ts',
            '--hosts',
            '1',
            '--prefix',
            `${r.role}-`,
            '--seed',
            String(r.seed),
            '--bind',
            r.bmcIp,
            '--redfish-port',
            '8000',
            '--ipmi-base-port',
            '623',
            '--password',
            REDFISH_PASSWORD,
            '--manifest',
            manifest,
            '--dhcp',
            '--api-ca',
            pki.ca,
            '--heartbeat-interval-ms',
            String(HEARTBEAT_MS),
            '--disk-dir',
            join(dir, `${r.role}-disks`),
          ],
          {},
        );
        sims.push(sim);
        return { ...r, ns, sim, manifest };
      });

      relay = new NsProcess(
        'relay',
        opsNs,
        [
          process.execPath,
          '--import',
          'tsx',
          'test/interop/provision-netns-relay.ts',
          `${join(dir, 'api.sock')}=${ANVIL_IP}:6385`,
          ...roles.map((r) => `${join(dir, `${r.role}.sock`)}=${r.bmcIp}:8000`),
        ],
        {},
      );

      await anvil.waitFor((l) => l.includes('"network boot services listening"'), 60_000, 'boot services');
      await anvil.waitFor((l) => l.includes('"anvil API listening"'), 60_000, 'API');
      await relay.waitFor((l) => l.includes('"event":"ready"'), 60_000, 'relay');
      api = new RelayedHttp(join(dir, 'api.sock'), API_URL, { ca: readFileSync(pki.ca, 'utf8'), basic: OPS });

      for (const p of pending) {
        await p.sim.waitFor((l) => l.startsWith('anvil-sim: 1 hosts'), 60_000, 'its fleet');
        const host = (JSON.parse(readFileSync(p.manifest, 'utf8')) as SimManifest).hosts[0]!;
        const mac = host.macs[0]!;
        // The host's NIC: a veth with the host's MAC and no address until DHCP gives one.
        prov.plug(p.ns, 'eth0', mac);
        machines.push({
          protocol: p.protocol,
          role: p.role,
          ns: p.ns,
          bmcIp: p.bmcIp,
          sim: p.sim,
          control: new RelayedHttp(join(dir, `${p.role}.sock`), `http://${p.bmcIp}:8000`),
          host,
          mac,
          uuid: '',
          address: '',
          prefix: 0,
        });
      }

      // The operator's part, through the API over HTTPS with basic auth: a pool on the provisioning segment...
      const pool = await api.request('POST', '/v1/ipam/pools', {
        name: 'provisioning',
        ranges: [{ subnet: '192.0.2.0/24', start: '192.0.2.100', end: '192.0.2.150' }],
        gateway: ANVIL_IP,
        dns_servers: ['192.0.2.53'],
      });
      expect(pool.status, pool.text).toBe(201);

      // ...and each machine enrolled with its BMC across the management segment, its ports and its address.
      for (const m of machines) {
        const bmc = m.protocol === 'redfish' ? m.host.redfish : m.host.ipmi;
        const { driver, driverInfo } = enrollmentFromAddress(bmc.address, {
          username: bmc.username,
          password: bmc.password,
        });
        expect(bmc.address).toContain(m.bmcIp);
        const created = await api.request('POST', '/v1/nodes', {
          name: `${m.role}-node`,
          driver,
          driver_info: { ...driverInfo, deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa.initramfs' },
          automated_clean: true,
          ...(m.protocol === 'ipmi' ? { inspect_interface: 'agent' } : {}),
        });
        expect(created.status, created.text).toBe(201);
        m.uuid = created.body.uuid as string;
        for (const [i, address] of m.host.macs.entries()) {
          const port = await api.request('POST', '/v1/ports', { node_uuid: m.uuid, address, pxe_enabled: i === 0 });
          expect(port.status, port.text).toBe(201);
        }
        const claim = await api.request('PUT', `/v1/anvil/nodes/${m.uuid}/addresses`, { pools: ['provisioning'] });
        expect(claim.status, claim.text).toBe(200);
        const v4 = (claim.body.addresses as { family: string; address: string; prefix: number }[]).find(
          (a) => a.family === 'ipv4',
        )!;
        m.address = v4.address;
        m.prefix = v4.prefix;
      }

      // Who opens connections to the API, counted on Anvil's side of the wire.
      syn = new SynCounter(anvilNs, 6385, [OPS_IP, ...machines.map((m) => m.address)]);
    }, 150_000);

    afterAll(async () => {
      for (const step of [
        async () => api?.close(),
        ...machines.map((m) => async () => m.control.close()),
        ...sims.map((s) => () => s.stop()),
        () => relay?.stop() ?? Promise.resolve(),
        () => anvil?.stop() ?? Promise.resolve(),
        async () => mgmt?.destroy(),
        async () => prov?.destroy(),
        async () => {
          if (dir) rmSync(dir, { recursive: true, force: true });
        },
      ]) {
        try {
          await step();
        } catch (error) {
          console.warn('cleanup:', error);
        }
      }
      if (started) console.info(`provision-netns: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
    });

    it('takes a Redfish and an IPMI host through enroll → manage → inspect → provide (agent cleaning) → deploy → active → undeploy → available', async () => {
      const lifecycle = async (m: Machine): Promise<void> => {
        let node = await drive(m, { target: 'manage' }, 'manageable');
        expect(node.power_state).toBe('power off');
        // Redfish: out of band. IPMI: in band, by the agent the host network-boots.
        node = await drive(m, { target: 'inspect' }, 'manageable');
        expect(node.inspection_finished_at, m.role).not.toBeNull();
        const inventory = await api!.request('GET', `/v1/nodes/${m.uuid}/inventory`, undefined, '1.81');
        expect(inventory.status, inventory.text).toBe(200);

        // Automated cleaning: the host network-boots its agent, which erases the disk metadata.
        node = await drive(m, { target: 'provide' }, 'available');
        expect(node.last_error).toBeNull();

        const patch = await api!.request('PATCH', `/v1/nodes/${m.uuid}`, [
          { op: 'add', path: '/instance_info/image_source', value: image.url },
          { op: 'add', path: '/instance_info/image_os_hash_algo', value: 'sha256' },
          { op: 'add', path: '/instance_info/image_os_hash_value', value: image.sha256 },
          { op: 'add', path: '/instance_info/image_disk_format', value: 'raw' },
        ]);
        expect(patch.status, patch.text).toBe(200);
        const hostname = `${m.role}-web`;
        node = await drive(
          m,
          {
            target: 'active',
            configdrive: { meta_data: { hostname }, user_data: `#cloud-config\nhostname: ${hostname}\n` },
          },
          'active',
          '1.56',
        );
        expect(node.last_error).toBeNull();
        const deployed = await osRunning(m);
        expect(deployed.disk?.sha256, await bootLog(m)).toBe(image.sha256);
        expect(deployed.disk?.imageUrl).toBe(image.url);
        expect(deployed.os?.hostname).toBe(hostname);
        expect(deployed.os?.addresses).toEqual([
          expect.objectContaining({ address: m.address, prefix: m.prefix, family: 'ipv4', mac: m.mac }),
        ]);

        // Undeploy: teardown, then cleaning through the agent again.
        node = await drive(m, { target: 'deleted' }, 'available');
        expect(node.last_error).toBeNull();
        const seen = await simConsole(m);
        expect(seen.disk).toBeNull();
        expect(seen.power).toBe('Off');
        after.set(m.role, seen);
      };
      await Promise.all(machines.map(lifecycle));
    }, 300_000);

    it("records, for each host's MAC, the DHCP lease of its IPAM address, TFTP of the boot file DHCP named, the iPXE script and the agent kernel and ramdisk", async () => {
      for (const m of machines) {
        const seen = after.get(m.role)!;
        const boots = (await history(m)).filter((e) => e.event_type === 'boot').map((e) => e.event);
        const context = `${m.role} history:\n${boots.join('\n')}\nconsole:\n${await bootLog(m, 40)}`;
        // Network boots: cleaning, deploy, cleaning after undeploy; and in-band inspection for IPMI.
        const netboots = m.protocol === 'ipmi' ? 4 : 3;

        // The sim's side: its PXE ROM's DHCP named a next-server and boot file, its iPXE's DHCP the script URL.
        const dhcpSteps = seen.bootSteps.filter((s) => s.kind === 'dhcp');
        expect(
          dhcpSteps.every((s) => s.outcome === 'ok'),
          context,
        ).toBe(true);
        const rom = dhcpSteps.filter((s) => s.detail.startsWith('PXE ROM: '));
        const ipxe = dhcpSteps.filter((s) => s.detail.startsWith('iPXE: '));
        expect(rom.length, context).toBeGreaterThanOrEqual(netboots);
        expect(ipxe.length, context).toBeGreaterThanOrEqual(netboots);
        const romLease = new RegExp(
          `^PXE ROM: ${m.address.replaceAll('.', '\\.')}/${m.prefix} on eth0 from ${ANVIL_IP}, next-server ${ANVIL_IP}, boot file (\\S+)$`,
        );
        const bootFile = romLease.exec(rom[0]!.detail)?.[1];
        expect(bootFile, context).toMatch(/^(ipxe\.efi|undionly\.kpxe)$/);
        const scriptUrl = `${BOOT_URL}/boot/${m.mac}.ipxe`;
        expect(ipxe[0]!.detail, context).toBe(
          `iPXE: ${m.address}/${m.prefix} on eth0 from ${ANVIL_IP}, next-server ${ANVIL_IP}, boot file ${scriptUrl}`,
        );
        expect(seen.bootSteps.filter((s) => s.kind === 'tftp').map((s) => s.source)).toContain(
          `tftp://${ANVIL_IP}:69/${bootFile}`,
        );
        expect(seen.bootSteps.filter((s) => s.kind === 'script' && s.outcome === 'ok').map((s) => s.source)).toContain(
          scriptUrl,
        );

        // Anvil's side, in the node's history: the same lease, file and script, to this MAC, each boot.
        const count = (line: string) => boots.filter((b) => b === line).length;
        expect(count(`dhcp to ${m.mac}: DHCPOFFER ${m.address} ${bootFile}`), context).toBeGreaterThanOrEqual(netboots);
        expect(count(`dhcp to ${m.mac}: DHCPACK ${m.address} ${bootFile}`), context).toBeGreaterThanOrEqual(netboots);
        expect(count(`tftp to ${m.mac}: ${bootFile}`), context).toBeGreaterThanOrEqual(netboots);
        expect(count(`dhcp to ${m.mac}: DHCPACK ${m.address} ${scriptUrl}`), context).toBeGreaterThanOrEqual(netboots);
        expect(count(`http to ${m.mac}: /boot/${m.mac}.ipxe`), context).toBeGreaterThanOrEqual(netboots);
        expect(count(`http to ${m.mac}: /boot-files/ipa.kernel`), context).toBeGreaterThanOrEqual(netboots);
        expect(count(`http to ${m.mac}: /boot-files/ipa.initramfs`), context).toBeGreaterThanOrEqual(netboots);
      }
    });

    it('has the agents listen and call from their DHCP addresses, over HTTPS to the ipa-api-url, with the agent token only', async () => {
      for (const m of machines) {
        const seen = after.get(m.role)!;
        const context = `${m.role} console:\n${await bootLog(m, 40)}`;
        const agents = seen.bootSteps.filter((s) => s.kind === 'agent' && s.outcome === 'ok');
        expect(agents.length, context).toBeGreaterThanOrEqual(m.protocol === 'ipmi' ? 4 : 3);
        for (const a of agents) {
          expect(a.source, context).toMatch(new RegExp(`^http://${m.address.replaceAll('.', '\\.')}:\\d+$`));
          expect(a.detail, context).toContain(`api ${API_URL}`);
        }
        const lookups = seen.bootSteps.filter((s) => s.kind === 'lookup');
        expect(lookups.length, context).toBeGreaterThanOrEqual(3);
        expect(
          lookups.every((s) => s.outcome === 'ok' && s.source === `${API_URL}/v1/lookup`),
          context,
        ).toBe(true);
        expect(
          lookups.every((s) => s.detail.includes('agent token received')),
          context,
        ).toBe(true);
        const beats = seen.bootSteps.filter((s) => s.kind === 'heartbeat');
        expect(beats.length, context).toBeGreaterThanOrEqual(3);
        expect(
          beats.every((s) => s.outcome === 'ok' && s.source === `${API_URL}/v1/heartbeat/${m.uuid}`),
          context,
        ).toBe(true);
        if (m.protocol === 'ipmi')
          expect(
            seen.bootSteps.some(
              (s) => s.kind === 'inspection' && s.outcome === 'ok' && s.source === `${API_URL}/v1/continue_inspection`,
            ),
            context,
          ).toBe(true);
        expect(seen.agentTokens.length, context).toBeGreaterThanOrEqual(3);
      }

      // On Anvil's side of the wire: connections to the API came from the operator's relay and from
      // each host's DHCP address, and from nowhere else.
      const opened = syn!.read();
      expect(opened.other, JSON.stringify(opened)).toBe(0);
      expect(opened[OPS_IP], JSON.stringify(opened)).toBeGreaterThan(0);
      for (const m of machines) expect(opened[m.address], JSON.stringify(opened)).toBeGreaterThan(0);

      // And nothing could have gone anywhere else: the parties' namespaces hold only loopback and the
      // test's veths, and no default route.
      const links: Record<string, string[]> = {
        [anvilNs]: ['lo', 'prov0', 'mgmt0'],
        [opsNs]: ['lo', 'prov0', 'mgmt0'],
        ...Object.fromEntries(machines.map((m) => [m.ns, ['lo', 'bmc0', 'eth0']])),
      };
      for (const [ns, expected] of Object.entries(links)) {
        const names = spawnSync('ip', ['-n', ns, '-o', 'link', 'show'], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter(Boolean)
          .map((l) => l.split(': ')[1]!.split('@')[0]!);
        expect(names.sort(), ns).toEqual([...expected].sort());
        expect(spawnSync('ip', ['-n', ns, 'route', 'show', 'default'], { encoding: 'utf8' }).stdout, ns).toBe('');
      }
    });

    it("refuses an unauthenticated API call from a host's namespace (401), while the agent endpoints there need no credentials", async () => {
      const m = machine('rf');
      const curl = (...args: string[]) => {
        const r = spawnSync(
          'ip',
          [
            'netns',
            'exec',
            m.ns,
            'curl',
            '-sS',
            '--max-time',
            '10',
            '--cacert',
            pki.ca,
            '-o',
            '/dev/null',
            '-w',
            '%{http_code}',
            ...args,
          ],
          { encoding: 'utf8', timeout: 20_000 },
        );
        expect(r.status, r.stderr).toBe(0);
        return r.stdout.trim();
      };
      // The host still holds its DHCP address on its NIC: the call crosses the veth from there.
      expect(ipv4Of(m.ns, 'eth0')).toContain(`${m.address}/${m.prefix}`);
      expect(curl(`${API_URL}/v1/nodes`)).toBe('401');
      expect(curl('-u', `${OPS.user}:not-${OPS.password}`, `${API_URL}/v1/nodes`)).toBe('401');
      // A lookup is public; this node is in no lookup state now, so it is not found, but not refused.
      expect(curl('-H', 'X-OpenStack-Ironic-API-Version: 1.84', `${API_URL}/v1/lookup?addresses=${m.mac}`)).toBe('404');
      // The certificate is the one the test's CA signed for the provisioning address.
      const untrusted = spawnSync(
        'ip',
        ['netns', 'exec', m.ns, 'curl', '-sS', '--max-time', '10', `${API_URL}/v1/nodes`],
        {
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      expect(untrusted.status).not.toBe(0);
    });

    it('lets no BMC password, basic-auth password or agent token into Anvil’s log output or any API answer', async () => {
      // One per agent that looked its node up: cleaning, deploy, cleaning again, on each host.
      const tokens = machines.flatMap((m) => after.get(m.role)!.agentTokens);
      expect(tokens.length).toBeGreaterThanOrEqual(6);
      expect(new Set(tokens).size).toBe(tokens.length);
      expect(tokens.every((t) => t.length >= 32)).toBe(true);
      const secrets = [
        OPS.password,
        REDFISH_PASSWORD,
        ...machines.flatMap((m) => [m.host.redfish.password, m.host.ipmi.password]),
        ...tokens,
      ];
      const log = anvil!.text();
      const answers = api!.seen.join('\n');
      // The checks read something: Anvil logged the agents' calls, and the API answered with the nodes.
      const lines = jsonLines(anvil!.lines);
      expect(lines.some((l) => String((l.req as { url?: string } | undefined)?.url).startsWith('/v1/heartbeat/'))).toBe(
        true,
      );
      expect(answers).toContain(machine('ipmi').uuid);
      for (const s of secrets) {
        expect(log.includes(s), `a secret (${s.slice(0, 6)}…) is in Anvil's output`).toBe(false);
        expect(answers.includes(s), `a secret (${s.slice(0, 6)}…) is in an API answer`).toBe(false);
      }
      // Nothing of Anvil's failed along the way.
      const errors = lines.filter((l) => typeof l.level === 'number' && l.level >= 50);
      expect(errors, JSON.stringify(errors.slice(0, 5))).toEqual([]);
    });
  },
);

/** The IPv4 addresses (CIDR) on `ifname` in `ns`. */
function ipv4Of(ns: string, ifname: string): string[] {
  const r = spawnSync('ip', ['-n', ns, '-4', '-o', 'addr', 'show', 'dev', ifname], { encoding: 'utf8' });
  return [...r.stdout.matchAll(/inet (\S+)/g)].map((match) => match[1]!);
}

/**
 * Deletes the namespaces of earlier runs of this test that died without
 * cleaning up (their tag carries the pid), but never those of a run still
 * going: several people share this machine.
 */
function removeOrphanedNamespaces(): void {
  for (const line of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = /^anvil-n(\d+)[pm]-/.exec(name)?.[1];
    if (pid === undefined || alive(Number(pid))) continue;
    spawnSync('ip', ['netns', 'del', name]);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
