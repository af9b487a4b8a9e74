"""Drives Anvil with python3-openstacksdk (Debian's), printing one JSON line per step."""
import json
import sys

import openstack

conn = openstack.connect(auth_type='none', baremetal_endpoint_override=sys.argv[1], baremetal_api_version='1')
node = conn.baremetal.create_node(
    driver='fake-hardware', name='sdk-1', driver_info={'redfish_password': 'sdk-secret'}
)
print(json.dumps({'step': 'create', 'provision_state': node.provision_state, 'id': node.id}))
nodes = list(conn.baremetal.nodes(details=True))
mine = [n for n in nodes if n.id == node.id][0]
print(json.dumps({'step': 'list', 'count': len(nodes), 'password': mine.driver_info.get('redfish_password')}))
for target in ('manage', 'provide', 'active', 'deleted'):
    node = conn.baremetal.set_node_provision_state(node, target, wait=True, timeout=60)
    print(json.dumps({'step': target, 'provision_state': node.provision_state}))
