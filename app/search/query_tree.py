"""A query as understood: the tree the query language parses to (terms, any-of, all-of with
exclusions), walked, compared and written back. Any search backend renders this tree
(``app/search/render.py`` for the engine); ``app/search/language.py`` parses text into it.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class AtomKind(StrEnum):
    WORD = "word"
    PHRASE = "phrase"
    PREFIX = "prefix"


class Column(StrEnum):
    """The indexed fields a query can be limited to."""

    TITLE = "title"
    BODY = "body"


@dataclass(frozen=True, slots=True)
class Term:
    """One searchable unit: a word, a phrase or a prefix, in one column or in any."""

    kind: AtomKind
    text: str
    column: Column | None = None


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one option must match."""

    options: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every required node must match and no excluded one may."""

    required: tuple["Node", ...]
    excluded: tuple["Node", ...] = ()


Node = Term | AnyOf | AllOf


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query as understood, with what was ignored and why."""

    root: Node
    warnings: list[str] = field(default_factory=list)

    def terms(self) -> Iterator[Term]:
        """Every term that must or may match (not the excluded ones)."""
        yield from positive_terms(self.root)


def positive_terms(node: Node) -> Iterator[Term]:
    """The terms under ``node`` that count towards a match."""
    if isinstance(node, Term):
        yield node
    elif isinstance(node, AnyOf):
        for option in node.options:
            yield from positive_terms(option)
    else:
        for required in node.required:
            yield from positive_terms(required)


def map_terms(node: Node, change: Callable[[Term], Node]) -> Node:
    """The tree with each term that counts towards a match replaced by ``change(term)``."""
    if isinstance(node, Term):
        return change(node)
    if isinstance(node, AnyOf):
        return AnyOf(tuple(map_terms(option, change) for option in node.options))
    return AllOf(tuple(map_terms(child, change) for child in node.required), node.excluded)


def all_terms(node: Node) -> Iterator[Term]:
    """Every term under ``node``, the excluded ones too."""
    if isinstance(node, Term):
        yield node
        return
    children = node.options if isinstance(node, AnyOf) else (*node.required, *node.excluded)
    for child in children:
        yield from all_terms(child)


def added_terms(query: ParsedQuery, typed: ParsedQuery | None) -> list[Term]:
    """The terms ``query`` holds beyond ``typed`` (the name variants added to a query as
    typed), each once, in order. A variant that is also a term as typed is none: it ranks as
    typed."""
    if typed is None:
        return []
    typed_terms = set(typed.terms())
    return list(dict.fromkeys(term for term in query.terms() if term not in typed_terms))


def shown(node: Node) -> str:
    """A node written back in the query language."""
    if isinstance(node, Term):
        text = f'"{node.text}"' if node.kind is AtomKind.PHRASE else node.text
        text += "*" if node.kind is AtomKind.PREFIX else ""
        return f"{node.column}:{text}" if node.column else text
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(shown(option) for option in node.options) + ")"
    parts = [shown(child) for child in node.required]
    parts += [f"-{shown(child)}" for child in node.excluded]
    return "(" + " ".join(parts) + ")"


def interpreted(node: Node) -> str:
    """The whole query written back, without the outer parentheses."""
    text = shown(node)
    return text[1:-1] if isinstance(node, AllOf) else text
