/** An inventory as ironic-python-agent reports one (the fields of its hardware inventory, trimmed to one of each). */
export const IPA_INVENTORY = {
  interfaces: [
    {
      name: 'eth0',
      mac_address: '52:54:00:ab:cd:ef',
      ipv4_address: null,
      ipv6_address: null,
      has_carrier: true,
      lldp: [[1, '04525400abcdef']],
      vendor: '0x8086',
      product: '0x1572',
      client_id: null,
      biosdevname: null,
      speed_mbps: 1000,
    },
  ],
  cpu: { model_name: 'Xeon', frequency: '2400', count: 8, architecture: 'x86_64', flags: ['lm'], socket_count: 1 },
  disks: [{ name: '/dev/sda', model: 'SSD', size: 500107862016, rotational: false, wwn: null, serial: 'S1' }],
  memory: { total: 17179869184, physical_mb: 16384 },
  bmc_address: '192.0.2.1',
  bmc_v6address: '::/0',
  system_vendor: {
    product_name: 'X',
    serial_number: 'S',
    manufacturer: 'M',
    firmware: { vendor: 'M', version: '1.0', build_date: '' },
  },
  boot: { current_boot_mode: 'uefi', pxe_interface: '52:54:00:ab:cd:ef' },
  hostname: 'localhost.localdomain',
};
