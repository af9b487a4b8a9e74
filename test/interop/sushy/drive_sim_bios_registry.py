"""Reads a sim system's BIOS attribute registry with sushy, as Ironic's
redfish BIOS interface does in cache_bios_settings; prints what it saw."""
import json
import sys

import sushy


class OfflineConnector:
    """Given to sushy as public_connector so it can never fetch DMTF registries online."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError('sushy tried to reach the Internet: %r' % (args,))

    get = post = put = patch = delete = head = request = _refuse


def main():
    config = json.loads(sys.argv[1])
    # Debian's python3-sushy ships without the DMTF standard message
    # registries sushy merges in first; what is read here is only the sim's.
    sushy.Sushy._get_standard_message_registry_collection = lambda self: []
    root = sushy.Sushy(config['base_url'], username=config['username'],
                       password=config['password'],
                       public_connector=OfflineConnector())
    out = {}
    for name in config['systems']:
        bios = root.get_system(f'/redfish/v1/Systems/{name}').bios
        registry = bios.get_attribute_registry()
        if registry is None:
            out[name] = None
            continue
        out[name] = {
            a.name: {
                'type': a.attribute_type,
                'allowable_values': [v.get('ValueName') for v in a.allowable_values or []],
                'read_only': a.read_only,
                'reset_required': a.reset_required,
                'lower_bound': a.lower_bound,
                'upper_bound': a.upper_bound,
                'max_length': a.max_length,
            }
            for a in registry.registry_entries.attributes
        }
    print(json.dumps(out))


if __name__ == '__main__':
    main()
