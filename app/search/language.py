"""The search query language, parsed into a tree that any search backend can render.

Words must all match; ``"exact phrases"``; ``a OR b``; ``-excluded``; ``prefix*``; parentheses;
``title:`` and ``body:`` before a word, phrase or group. Everything else is text: operators a
backend might know (``AND``, ``NEAR(``, ``^``) are never passed through, so no input can make a
backend raise a syntax error, and nothing in the input is silently dropped without a warning.
"""

import re
import unicodedata
from dataclasses import replace

from app.problems import InvalidParameter
from app.search.query_tree import AllOf, AnyOf, AtomKind, Column, Node, ParsedQuery, Term, all_terms
from app.search.words import has_words

MAX_QUERY_LENGTH = 500
MAX_TERMS = 32
MAX_DEPTH = 8
_POSSESSIVE = re.compile(r"(?<=\w)['’][sS]$")


def parse_query(q: str) -> ParsedQuery:
    """Parse the user's query; raise ``InvalidParameter`` when nothing in it can be searched."""
    if not q.strip():
        raise InvalidParameter("The query `q` is blank: give at least one word to search for.")
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidParameter(f"The query `q` is longer than {MAX_QUERY_LENGTH} characters.")
    # Control characters and lone surrogates are not text (a NUL would end a string in C code);
    # NFKC folds compatibility forms (fullwidth letters, ligatures) into the text that is indexed.
    q = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in q)
    q = unicodedata.normalize("NFKC", q)
    tokens = _tokens(q)
    parser = _Parser(tokens)
    root = parser.parse()
    if root is None:
        raise InvalidParameter(_nothing_to_search(tokens))
    if isinstance(root, AllOf) and not root.required:
        raise InvalidParameter(
            "The query `q` only excludes words: give at least one word to search for."
        )
    if sum(1 for _ in all_terms(root)) > MAX_TERMS:
        raise InvalidParameter(f"The query `q` has more than {MAX_TERMS} words or phrases.")
    return ParsedQuery(root=root, warnings=parser.warnings)


def _nothing_to_search(tokens: list["Token"]) -> str:
    """Why a query that parsed to nothing searches nothing: only operators, or no words."""
    operators = [text if kind == "OR" else f"{text}:" for kind, text in tokens if kind in _NAMED]
    if operators:
        named = ", ".join(f"`{operator}`" for operator in dict.fromkeys(operators))
        return (
            f"The query `q` holds only operators ({named}) and an operator alone searches "
            "nothing: give at least one word."
        )
    return "The query `q` has no letters or digits to search for: give at least one word."


# Tokens are (kind, text): "(", ")", "OR", "-", "field" (text: the column), "phrase", "word".
Token = tuple[str, str]
_FIELD_PREFIX = re.compile(r"(title|body):(?=\S)", re.IGNORECASE)
_BARE_FIELD = re.compile(r"(title|body):", re.IGNORECASE)  # nothing after it: searched as a word
_NAMED = ("OR", "field")  # the operators that are written as words


def _tokens(q: str) -> list[Token]:
    tokens: list[Token] = []
    position, length = 0, len(q)
    while position < length:
        char = q[position]
        if char.isspace():
            position += 1
        elif char in "()":
            tokens.append((char, char))
            position += 1
        elif char == '"':
            end = q.find('"', position + 1)
            closed = end != -1
            end = end if closed else length
            tokens.append(("phrase" if closed else "open-phrase", q[position + 1 : end]))
            position = end + 1
        elif char == "-" and position + 1 < length and not q[position + 1].isspace():
            tokens.append(("-", "-"))
            position += 1
        elif prefix := _FIELD_PREFIX.match(q, position):
            tokens.append(("field", prefix.group(1).lower()))
            position = prefix.end()
        else:
            end = position
            while end < length and not q[end].isspace() and q[end] not in '"()':
                end += 1
            word = q[position:end]
            tokens.append(("OR", word) if word == "OR" else ("word", word))
            position = end
    return tokens


class _Parser:
    """Recursive descent over the tokens; lenient: whatever cannot be read is a warning."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.warnings: list[str] = []

    def parse(self) -> Node | None:
        node = self._all_of(depth=0)
        while self.position < len(self.tokens):  # a stray ")" ended the top level early
            self.warnings.append("Ignored `)`: it closes no `(`.")
            self.position += 1
            more = self._all_of(depth=0)
            node = _merge(node, more)
        return node

    def _peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _all_of(self, *, depth: int) -> Node | None:
        required: list[Node] = []
        excluded: list[Node] = []
        while (token := self._peek()) is not None and token[0] != ")":
            node, negated = self._any_of(depth=depth)
            if node is None:
                continue
            if negated:
                excluded.append(node)
            elif isinstance(node, AllOf):  # a group: (a -b) inside an AND is a AND NOT b
                required.extend(node.required)
                excluded.extend(node.excluded)
            else:
                required.append(node)
        if not required and not excluded:
            return None
        if len(required) == 1 and not excluded:
            return required[0]
        return AllOf(tuple(required), tuple(excluded))

    def _any_of(self, *, depth: int) -> tuple[Node | None, bool]:
        if self._peek() == ("OR", "OR"):
            self.warnings.append("Ignored `OR`: it needs a word on each side.")
            self.position += 1
            return None, False
        node, negated = self._unary(depth=depth)
        options = [node] if node is not None else []
        while self._peek() == ("OR", "OR"):
            self.position += 1
            following = self._peek()
            if following is None or following[0] in (")", "OR"):
                self.warnings.append("Ignored `OR`: it needs a word on each side.")
                break
            option, option_negated = self._unary(depth=depth)
            if option_negated or negated:
                self.warnings.append("Ignored `-` beside `OR`: an alternative cannot exclude.")
                negated = False
            if option is not None:
                options.append(option)
        options = [option for option in options if _has_required(option)]
        if not options:
            return None, False
        if len(options) == 1:
            return options[0], negated
        return AnyOf(tuple(options)), False

    def _unary(self, *, depth: int) -> tuple[Node | None, bool]:
        negated = False
        column: Column | None = None
        while (token := self._peek()) is not None and token[0] in ("-", "field"):
            self.position += 1
            if token[0] == "-":
                negated = True
            else:
                column = Column(token[1])
        node = self._primary(depth=depth)
        if node is not None and column is not None:
            node = _in_column(node, column)
        return node, negated

    def _primary(self, *, depth: int) -> Node | None:
        token = self._peek()
        if token is None:
            return None
        kind, text = token
        self.position += 1
        if kind == "(":
            if depth >= MAX_DEPTH:
                self.warnings.append(f"Ignored `(`: groups nest at most {MAX_DEPTH} deep.")
                return None
            node = self._all_of(depth=depth + 1)
            if self._peek() == (")", ")"):
                self.position += 1
            else:
                self.warnings.append("A `(` was not closed: it is closed at the end.")
            return node
        if kind == "open-phrase":
            self.warnings.append("A quote was not closed: the rest of the query is one phrase.")
            kind = "phrase"
        return self._term(kind, text)

    def _term(self, kind: str, raw: str) -> Term | None:
        text = " ".join(raw.split())
        if kind == "word" and _BARE_FIELD.fullmatch(text):
            field_name, text = text.lower(), text[:-1]
            self.warnings.append(
                f"`{field_name}` names a field but no term follows it: it was searched as the word "
                f"`{text}`; write the term right after the colon (`{field_name}Macron`)."
            )
        atom = AtomKind.PHRASE if kind == "phrase" else AtomKind.WORD
        if atom is AtomKind.WORD:
            if text.endswith("*"):
                text, atom = text.rstrip("*"), AtomKind.PREFIX
            text = _POSSESSIVE.sub("", text)  # Macron's finds Macron
        if not has_words(text):
            if raw.strip():
                self.warnings.append(f"Ignored `{raw}`: it has no letters or digits.")
            return None
        if atom is AtomKind.PHRASE and len(text.split()) == 1:
            atom = AtomKind.WORD
        return Term(atom, text)


def _has_required(node: Node) -> bool:
    return not isinstance(node, AllOf) or bool(node.required)


def _in_column(node: Node, column: Column) -> Node:
    """``title:(…)``: every term without a column of its own is looked for in ``column``."""
    if isinstance(node, Term):
        return node if node.column is not None else replace(node, column=column)
    if isinstance(node, AnyOf):
        return AnyOf(tuple(_in_column(option, column) for option in node.options))
    return AllOf(
        tuple(_in_column(child, column) for child in node.required),
        tuple(_in_column(child, column) for child in node.excluded),
    )


def _merge(first: Node | None, second: Node | None) -> Node | None:
    if first is None or second is None:
        return first or second

    def parts(node: Node) -> tuple[tuple[Node, ...], tuple[Node, ...]]:
        return (node.required, node.excluded) if isinstance(node, AllOf) else ((node,), ())

    (required_a, excluded_a), (required_b, excluded_b) = parts(first), parts(second)
    return AllOf(required_a + required_b, excluded_a + excluded_b)
