"""What a load writes, as the engines take it: node rows per label and relationship rows per
(type, from label, to label), each keyed by natural keys (the loaders build it, `Backend.write_batches`
and `Backend.bulk_write` write it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from kb.schema import NODE_KEYS

RelKey = tuple[str, str, str]  # (type, from label, to label)


@dataclass
class GraphRows:
    """What a load writes: node rows per label, relationship rows per (type, from, to)."""

    nodes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    rels: dict[RelKey, dict[tuple[str, str], dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def add_node(self, label: str, key: str, props: dict[str, Any]) -> None:
        props = {k: v for k, v in props.items() if v is not None and v != []}
        props[NODE_KEYS[label]] = key
        self.nodes[label].setdefault(key, {}).update(props)

    def add_rel(self, rtype: str, a: tuple[str, str], b: tuple[str, str], props: dict[str, Any]) -> None:
        props = {k: v for k, v in props.items() if v is not None and v != []}
        slot = self.rels[(rtype, a[0], b[0])].setdefault((a[1], b[1]), {})
        if "sources" in slot and "sources" in props:
            props = {**props, "sources": sorted(set(slot["sources"]) | set(props["sources"]))}
        slot.update(props)

    @property
    def node_count(self) -> int:
        return sum(len(v) for v in self.nodes.values())

    @property
    def rel_count(self) -> int:
        return sum(len(v) for v in self.rels.values())
