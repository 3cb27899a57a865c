"""Reading answers and tool calls out of free text, as a pretrained chat model writes them.

The toy environments were written for a character policy with a strict format ("=12", "[23*17]"). A chat model
answers in prose: "... so the total is 12. <answer>12</answer>", and calls tools in its own format, e.g.
Qwen2.5's  <tool_call>{"name": "calculator", "arguments": {"expression": "23*17"}}</tool_call>.
These helpers accept any characters and never raise: a text without the expected part gives None.
"""

from __future__ import annotations

import json
import re

_TAG = {}
_NUMBER = re.compile(r"^\s*\$?\s*(-?[0-9][0-9,]*(?:\.0+)?)\s*\.?\s*$")
_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)


def tagged(text: str, tag: str = "answer") -> str | None:
    """The content of the LAST <tag>...</tag> in `text` (models often restate a draft first), else None."""
    if tag not in _TAG:
        _TAG[tag] = re.compile(rf"<{re.escape(tag)}>(.*?)</{re.escape(tag)}>", re.DOTALL)
    found = _TAG[tag].findall(str(text))
    return found[-1].strip() if found else None


def number(text: str | None) -> int | None:
    """An integer written plainly ("12", "-3", "1,234", "$5", "12.0"), else None."""
    if text is None:
        return None
    match = _NUMBER.match(text)
    return int(match.group(1).replace(",", "").split(".")[0]) if match else None


def tagged_number(text: str, tag: str = "answer") -> int | None:
    """number(tagged(text, tag)): the final answer of a chat-style response, or None."""
    return number(tagged(text, tag))


def tool_call(text: str) -> tuple[str, dict] | None:
    """(name, arguments) of the first <tool_call>{"name": ..., "arguments": {...}}</tool_call>, else None."""
    match = _TOOL_CALL.search(str(text))
    if not match:
        return None
    try:
        call = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        return None
    args = call.get("arguments", {})
    return (call["name"], args) if isinstance(args, dict) else None
