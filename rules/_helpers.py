"""Small predicates shared by several rules (the heavier shared analyses live in errlint.analysis)."""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from errlint.analysis import Handler

HandlerOrNone = Optional[Handler]


def handler_header_end(handler: Handler) -> cst.CSTNode:
    """The node where the `except ...` header of `handler` ends, for a tight report range."""
    if handler.name is not None:
        return handler.name
    if handler.type is not None:
        return handler.type
    return handler.whitespace_after_except


def caught_label(handler: Handler) -> str:
    """`except:`, `except Exception:`, `except* (A, B):` as written, for messages."""
    star = "*" if isinstance(handler, cst.ExceptStarHandler) else ""
    if handler.type is None:
        return "except:"
    code = cst.Module(body=()).code_for_node(handler.type)
    return f"except{star} {code}:"


def is_suite_of(node: cst.CSTNode, parent: Union[cst.CSTNode, None]) -> bool:
    return parent is not None and node is getattr(parent, "body", None)
