"""Drives Anvil's Redfish simulator with python3-sushy, Ironic's Redfish library.

Usage: drive_sim.py '<json config>'  with keys base_url, username, password,
system (a system id) and image (a virtual media URL). Prints one JSON object
of observations on stdout; any sushy error propagates and fails the run.
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


def main():
    cfg = json.loads(sys.argv[1])
    root = sushy.Sushy(cfg['base_url'], username=cfg['username'],
                       password=cfg['password'],
                       public_connector=OfflineConnector())
    out = {}
    out['systems'] = sorted(root.get_system_collection().members_identities)
    system = root.get_system('/redfish/v1/Systems/' + cfg['system'])
    out['initial_power'] = plain(system.power_state)
    out['allowed_resets'] = sorted(plain(v) for v in system.get_allowed_reset_system_values())

    powers = {}
    for name, reset in (('on', sushy.ResetType.ON),
                        ('force_off', sushy.ResetType.FORCE_OFF),
                        ('on_again', sushy.ResetType.ON),
                        ('force_restart', sushy.ResetType.FORCE_RESTART)):
        system.reset_system(reset)
        system.refresh()
        powers[name] = plain(system.power_state)
    out['powers'] = powers

    system.set_system_boot_options(sushy.BootSource.PXE,
                                   enabled=sushy.BootSourceOverrideEnabled.ONCE,
                                   mode=sushy.BootSourceOverrideMode.UEFI)
    system.refresh()
    out['boot'] = {'target': plain(system.boot.target),
                   'enabled': plain(system.boot.enabled),
                   'mode': plain(system.boot.mode)}

    manager = root.get_manager('/redfish/v1/Managers/' + cfg['system'])
    media = manager.virtual_media.get_members()[0]
    out['media_types'] = sorted(plain(t) for t in media.media_types)
    media.insert_media(cfg['image'])
    media.refresh()
    out['inserted'] = {'image': media.image, 'inserted': media.inserted}
    media.eject_media()
    media.refresh()
    out['ejected'] = {'image': media.image, 'inserted': media.inserted}

    bios = system.bios
    out['bios_before'] = bios.attributes.get('ProcTurboMode')
    bios.set_attributes({'ProcTurboMode': 'Disabled'})
    bios.refresh()
    out['bios_pending'] = bios.pending_attributes.get('ProcTurboMode')
    out['bios_still_current'] = bios.attributes.get('ProcTurboMode')
    system.reset_system(sushy.ResetType.FORCE_RESTART)
    bios.refresh()
    out['bios_after_reset'] = bios.attributes.get('ProcTurboMode')

    print(json.dumps(out))


if __name__ == '__main__':
    main()
