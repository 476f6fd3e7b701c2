"""Past one machine: a Hyperledger Besu QBFT network and our side's settings, generated.

The local default is one journaled EVM node and SQLite; a deployment is several Besu
validators agreeing by QBFT, RPC nodes for the gateways, and a PostgreSQL per department.
Everything the project talks to is standard JSON-RPC and SQL, so the move changes only
configuration, which this package writes (``quancheng topology generate``) and checks
(``quancheng topology check``). See ``docs/deployment.md``.
"""

from quancheng_node.deployment.check import CheckReport, check_live, check_topology, read_env
from quancheng_node.deployment.generate import FORMAT, generate_topology, topology_summary
from quancheng_node.deployment.keys import NodeKey
from quancheng_node.deployment.qbft import (
    decode_qbft_extra_data,
    encode_qbft_extra_data,
    milestones,
    qbft_genesis,
)
from quancheng_node.deployment.spec import (
    HARDFORKS,
    SEEDED_GENESIS_TIMESTAMP,
    MemberEntry,
    MembersFile,
    NodePlan,
    TopologyError,
    TopologySpec,
    plan_nodes,
)

__all__ = [
    "FORMAT",
    "HARDFORKS",
    "SEEDED_GENESIS_TIMESTAMP",
    "CheckReport",
    "MemberEntry",
    "MembersFile",
    "NodeKey",
    "NodePlan",
    "TopologyError",
    "TopologySpec",
    "check_live",
    "check_topology",
    "decode_qbft_extra_data",
    "encode_qbft_extra_data",
    "generate_topology",
    "milestones",
    "plan_nodes",
    "qbft_genesis",
    "read_env",
    "topology_summary",
]
