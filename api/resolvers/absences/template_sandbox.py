"""The sandbox that letter templates run in, with budgets.

A template is written by school staff and rendered by the server, when it is saved (to check
it) and for every letter, e-mail or SMS. Jinja's sandbox keeps it away from Python's
internals, but not from spending the server: three nested loops over a 700-character field
are 343 million turns. So a rendering runs off the event loop (a thread: the portals and the
API keep answering meanwhile) and within budgets, counted as it goes:

- steps: loop turns and calls (macros, ``loop.cycle``...), over the whole rendering;
- output: characters produced, counted as they are emitted (even inside a macro, a
  ``{% set %}`` block or a ``{% filter %}`` block), and the size of every string or list that
  ``+``, ``*`` and ``~`` would build, checked before it is built;
- time: checked at every step and every piece of output.

A single operation cannot escape the counting: operators that could build a large value are
checked before they run, and only filters and methods whose result is no larger than what
they are given are available (``center(10**9)`` or ``"x".ljust(10**9)`` are not).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from jinja2 import StrictUndefined, Template, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    steps: int = 10_000
    output: int = 50_000  # characters; a letter is a page or two, an e-mail less
    seconds: float = 1.0


BUDGET = Budget()


class TemplateTooCostly(Exception):
    """A budget is exceeded; the message names the limit, in French (the portal shows it)."""


class _Spending:
    """What one rendering has spent so far."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.steps = 0
        self.emitted = 0
        self.deadline = time.monotonic() + budget.seconds

    def _in_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateTooCostly(
                f"le modèle met plus de {_number(self.budget.seconds)} s à s'afficher"
            )

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.budget.steps:
            raise TemplateTooCostly(
                f"le modèle dépasse {_number(self.budget.steps)} tours de boucle ou appels"
            )
        self._in_time()

    def size(self, length: int) -> None:
        if length > self.budget.output:
            raise TemplateTooCostly(
                f"le modèle produit plus de {_number(self.budget.output)} caractères"
            )

    def emit(self, length: int) -> None:
        self.emitted += length
        self.size(self.emitted)
        self._in_time()


def _number(value: float) -> str:
    """French digit grouping (10 000), as the portal prints numbers."""
    return f"{value:,}".replace(",", "\u202f").replace(".", ",")


_spending: ContextVar[_Spending] = ContextVar("template_spending")


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


# Internal filters the templates are rewritten to go through (see ``_Metered``); they take
# the context so that Jinja never evaluates them at compile time, outside any budget.
LOOP_FILTER = "_sconet_loop"
CONCAT_FILTER = "_sconet_concat"
EMIT_FILTER = "_sconet_emit"


@pass_context
def _loop(_context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    spending = _spending.get()
    for item in iterable:
        spending.step()
        yield item


@pass_context
def _concat(_context: Context, parts: list[Any]) -> str:
    texts = [str(part) for part in parts]
    _spending.get().size(sum(map(len, texts)))
    return "".join(texts)


@pass_context
def _emit(_context: Context, value: Any) -> Any:
    _spending.get().emit(len(str(value)))
    return value


def _wrapped(node: nodes.Node, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class _Metered(NodeTransformer):
    """Rewrites a parsed template so that loops, ``~`` and output go through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _wrapped(node.iter, LOOP_FILTER)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _wrapped(nodes.List(node.nodes, lineno=node.lineno), CONCAT_FILTER)

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [_wrapped(child, EMIT_FILTER) for child in node.nodes]
        return node


# Filters whose result is never much larger than their input; the others (center, indent,
# format, join, replace, wordwrap, map...) could build a huge value in one call.
SAFE_FILTERS = [
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "e",
    "escape",
    "first",
    "float",
    "int",
    "last",
    "length",
    "list",
    "lower",
    "max",
    "min",
    "reverse",
    "round",
    "sort",
    "string",
    "striptags",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "wordcount",
]
SAFE_STRING_METHODS = frozenset(
    [
        "capitalize",
        "casefold",
        "endswith",
        "isalnum",
        "isalpha",
        "isdigit",
        "islower",
        "isspace",
        "istitle",
        "isupper",
        "lower",
        "lstrip",
        "rstrip",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
    ]
)
LARGEST_EXPONENT = 64
# Numbers are counts and dates: 4096 bits is far beyond them, and far below a slow number.
LARGEST_INTEGER_BITS = 4096


class BudgetedEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
        # No globals (range, lipsum, dict...): templates only read the merge fields.
        self.globals.clear()
        self.filters = {name: self.filters[name] for name in SAFE_FILTERS}
        self.filters.update({LOOP_FILTER: _loop, CONCAT_FILTER: _concat, EMIT_FILTER: _emit})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        metered = _Metered().visit(tree)
        assert isinstance(metered, nodes.Template)
        return metered

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        spending = _spending.get()
        if operator == "%" and isinstance(left, str):
            raise SecurityError("la mise en forme par % n'est pas permise")
        if operator == "**" and isinstance(right, int) and abs(right) > LARGEST_EXPONENT:
            raise SecurityError(f"une puissance dépasse {LARGEST_EXPONENT}")
        if operator in ("*", "**") and isinstance(left, int) and isinstance(right, int):
            bits = left.bit_length() * (abs(right) if operator == "**" else 1)
            if bits + (right.bit_length() if operator == "*" else 0) > LARGEST_INTEGER_BITS:
                raise SecurityError("un nombre calculé est trop grand")
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                if _sized(sized) and isinstance(times, int):
                    spending.size(_sized(sized) * times)
        if operator == "+":
            spending.size(_sized(left) + _sized(right))
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _spending.get().step()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and getattr(__obj, "__name__", "") not in SAFE_STRING_METHODS:
            raise SecurityError(f"la méthode {__obj.__name__} n'est pas permise")
        return super().call(__context, __obj, *args, **kwargs)


environment = BudgetedEnvironment()


@functools.lru_cache(maxsize=256)
def compiled(text: str) -> Template:
    """The compiled template (a school's few templates are rendered for every letter)."""
    return environment.from_string(text)


def parse(text: str) -> nodes.Template:
    return environment.parse(text)


def render_here(text: str, context: Mapping[str, Any], budget: Budget | None = None) -> str:
    """Render in the calling thread, within the budget; raises ``TemplateTooCostly``."""
    _spending.set(_Spending(budget or BUDGET))
    try:
        return compiled(text).render(context)
    except RecursionError:
        raise TemplateTooCostly("le modèle est trop imbriqué") from None


async def in_a_thread(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` in a worker thread: a rendering never holds the event loop."""
    return await asyncio.to_thread(work, *args)


async def render(text: str, context: Mapping[str, Any], budget: Budget | None = None) -> str:
    """Render off the event loop, within the budget."""
    return await asyncio.to_thread(render_here, text, context, budget)


async def render_each(
    texts: Sequence[str], context: Mapping[str, Any], budget: Budget | None = None
) -> list[str]:
    """Several texts with the same values (a subject and a body), in one trip to a thread."""

    def work() -> list[str]:
        return [render_here(text, context, budget) for text in texts]

    return await asyncio.to_thread(work)
