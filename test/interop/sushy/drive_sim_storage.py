"""Reads and writes the Redfish simulator's Storage with python3-sushy, as
Ironic's redfish RAID interface does.

Usage: drive_sim_storage.py '<json config>'  with keys base_url, username,
password and system (a system id). Prints one JSON object of observations on
stdout; any sushy error propagates and fails the run.
"""

import enum
import json
import sys

import sushy


class OfflineConnector:
    """Given to sushy as public_connector so it can never fetch DMTF registries online."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError('sushy tried to reach the Internet: %r' % (args,))

    get = post = put = patch = delete = head = request = _refuse


def plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def volumes_of(root, system_path):
    # A fresh System each time: refreshing a cached collection re-reads its
    # cached members, and a deleted volume's read is a 404.
    storage = root.get_system(system_path).storage.get_members()[0]
    return [{'id': v.identity, 'name': v.name, 'raid_type': plain(v.raid_type),
             'capacity_bytes': v.capacity_bytes}
            for v in storage.volumes.get_members()]


def main():
    cfg = json.loads(sys.argv[1])
    root = sushy.Sushy(cfg['base_url'], username=cfg['username'],
                       password=cfg['password'],
                       public_connector=OfflineConnector())
    system_path = '/redfish/v1/Systems/' + cfg['system']
    system = root.get_system(system_path)
    out = {}
    storages = system.storage.get_members()
    out['storage'] = [s.identity for s in storages]
    storage = storages[0]
    controller = storage.storage_controllers[0]
    out['raid_types'] = sorted(plain(t) for t in controller.raid_types)
    out['drives'] = [{'id': d.identity, 'capacity_bytes': d.capacity_bytes,
                      'media_type': plain(d.media_type),
                      'protocol': plain(d.protocol)} for d in storage.drives]
    support = storage.volumes.operation_apply_time_support
    out['apply_times'] = sorted(plain(v) for v in support.mapped_supported_values)

    # What Ironic's create_virtual_disk sends; Immediate makes sushy follow
    # the task monitor until the volume is built.
    drives = [d for d in storage.drives][:2]
    storage.volumes.create(
        {'RAIDType': 'RAID1', 'CapacityBytes': 100 * 1024 ** 3,
         'Links': {'Drives': [{'@odata.id': d.path} for d in drives]}},
        apply_time=sushy.ApplyTime.IMMEDIATE)
    out['after_create'] = volumes_of(root, system_path)

    volume = root.get_system(system_path).storage.get_members()[0].volumes.get_members()[0]
    volume.delete(apply_time=sushy.ApplyTime.IMMEDIATE)
    out['after_delete'] = volumes_of(root, system_path)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
