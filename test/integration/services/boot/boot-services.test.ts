import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { requireFile } from '../../../interop/tools.js';
import { tftpGet } from '../../../unit/pxe/tftp/client.js';

const haveIpxe = requireFile('/usr/lib/ipxe/undionly.kpxe');
import { describeOnEngines, eventually } from '../../../support/service.js';

describeOnEngines('network boot services run with the service', (svc) => {
  it('serves a deploying node its agent script, an active one a local boot, and records what it served', async () => {
    const node = (
      await svc().request('POST', '/v1/nodes', {
        driver: 'fake-hardware',
        name: 'netboot-1',
        driver_info: { deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'ipa.initramfs' },
      })
    ).body;
    await svc().request('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:00:0c:01' });
    const script = async () => (await fetch(`${svc().bootUrl}/boot/52:54:00:00:0c:01.ipxe`)).text();
    expect(await script()).toMatch(/^#!ipxe[\s\S]*exit/);

    const db = (await import('../../../../services/db/index.js')).openDatabase(svc().db.url);
    try {
      await db
        .knex('nodes')
        .where({ uuid: node.uuid })
        .update({ provision_state: 'wait call-back', target_provision_state: 'active' });
    } finally {
      await db.close();
    }
    const agent = await script();
    expect(agent).toContain(`${svc().bootUrl}/boot-files/ipa.kernel`);
    expect(agent).toContain(`ipa-api-url=${svc().url}`);
    expect(agent).toContain('BOOTIF=01-52-54-00-00-0c-01');

    const history = await eventually(
      () => svc().request('GET', `/v1/nodes/${node.uuid}/history`),
      (r) => r.body.history.some((h: { event: string }) => h.event.startsWith('http to 52:54:00:00:0c:01')),
    );
    expect(history.status).toBe(200);
  });

  it.skipIf(!haveIpxe)('serves the iPXE binaries over TFTP, the symlinked ipxe.efi included', async () => {
    for (const file of ['undionly.kpxe', 'ipxe.efi', 'snponly.efi']) {
      const got = await tftpGet({ port: svc().tftpPort!, file, options: { blksize: 1468 } });
      expect(got.error, file).toBeNull();
      expect(got.data.equals(readFileSync(`/usr/lib/ipxe/${file}`)), file).toBe(true);
    }
  });
});
