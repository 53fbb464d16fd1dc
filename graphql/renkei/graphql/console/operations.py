"""The console's named GraphQL operations, read from `operations/*.graphql`.

Every page gets its data, and every form does its work, through one of these operations of the
public schema; nothing else in the console reads or writes the database. An operation may spread
fragments defined in any of the files; its document is the operation with the fragments it uses.
Names are unique across the files (a duplicate is an error at start-up, and a test).

The console sends each by its id, the SHA-256 of its document: `operations/manifest.json`
registers them (renkei.graphql.documents), written by `renkei export-documents` and checked by
a test, so that a server requiring registered documents serves the console unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    OperationType,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

from renkei.graphql.documents import document_id

FOLDER = Path(__file__).parent / "operations"


@dataclass(frozen=True)
class Operation:
    name: str
    document: str
    mutation: bool
    source: str  # the file it came from, for messages

    @property
    def id(self) -> str:
        """The document's id (its SHA-256), as the manifest registers it."""
        return document_id(self.document)


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: object) -> None:
        self.names.add(node.name.value)


def _spreads(node: object) -> set[str]:
    visitor = _Spreads()
    visit(node, visitor)  # type: ignore[arg-type]
    return visitor.names


def _documents(folder: Path) -> list[tuple[Path, DocumentNode]]:
    return [
        (path, parse(path.read_text(encoding="utf-8"))) for path in sorted(folder.glob("*.graphql"))
    ]


def load(folder: Path = FOLDER) -> dict[str, Operation]:
    """Every named operation of the folder, each as a document of its own."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: dict[str, tuple[Path, OperationDefinitionNode]] = {}
    for path, document in _documents(folder):
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                name = definition.name.value
                if name in fragments:
                    raise ValueError(f"{path.name}: fragment {name} is defined twice")
                fragments[name] = definition
            elif isinstance(definition, OperationDefinitionNode):
                if definition.name is None:
                    raise ValueError(f"{path.name}: every console operation needs a name")
                name = definition.name.value
                if name in operations:
                    raise ValueError(f"{path.name}: operation {name} is defined twice")
                operations[name] = (path, definition)
    loaded: dict[str, Operation] = {}
    for name, (path, definition) in operations.items():
        used: list[str] = []
        waiting = sorted(_spreads(definition))
        while waiting:
            fragment = waiting.pop()
            if fragment in used:
                continue
            if fragment not in fragments:
                raise ValueError(f"{path.name}: {name} spreads unknown fragment {fragment}")
            used.append(fragment)
            waiting.extend(sorted(_spreads(fragments[fragment])))
        parts = [print_ast(definition), *(print_ast(fragments[f]) for f in sorted(used))]
        loaded[name] = Operation(
            name=name,
            document="\n\n".join(parts),
            mutation=definition.operation == OperationType.MUTATION,
            source=path.name,
        )
    return loaded


@cache
def registry() -> dict[str, Operation]:
    return load()
