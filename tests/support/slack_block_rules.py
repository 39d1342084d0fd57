"""Block Kit's documented limits, checked by the Slack stub as Slack checks them.

Each function returns a list of problems (empty when valid), worded like the paths Slack
puts in its `invalid_blocks` errors, e.g. "blocks[2].text: must be less than 3001 chars".
"""

from __future__ import annotations

from typing import Any

BLOCK_TYPES = {"section", "header", "context", "actions", "divider", "input", "image"}
ELEMENT_TYPES = {
    "button",
    "plain_text_input",
    "static_select",
    "checkboxes",
    "number_input",
    "datepicker",
}


def _text(obj: Any, path: str, limit: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{path}: must be a text object"]
    if plain_only and obj["type"] != "plain_text":
        return [f"{path}: must be plain_text"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"{path}.text: must be a non-empty string"]
    if len(text) > limit:
        return [f"{path}.text: must be less than {limit + 1} chars"]
    return []


def _options(options: Any, path: str, most: int) -> list[str]:
    if not isinstance(options, list) or not 1 <= len(options) <= most:
        return [f"{path}: must hold 1 to {most} options"]
    problems: list[str] = []
    for i, option in enumerate(options):
        problems += _text(option.get("text"), f"{path}[{i}].text", 75, plain_only=True)
        if not isinstance(option.get("value"), str) or len(option["value"]) > 150:
            problems.append(f"{path}[{i}].value: must be a string of at most 150 chars")
    return problems


def _element(element: Any, path: str, action_ids: set[str]) -> list[str]:
    if not isinstance(element, dict) or element.get("type") not in ELEMENT_TYPES:
        return [f"{path}: unknown element type"]
    problems: list[str] = []
    action_id = element.get("action_id")
    if not isinstance(action_id, str) or not action_id or len(action_id) > 255:
        problems.append(f"{path}.action_id: must be a string of 1 to 255 chars")
    elif action_id in action_ids:
        problems.append(f"{path}.action_id: must be unique within the block")
    else:
        action_ids.add(action_id)
    kind = element["type"]
    if kind == "button":
        problems += _text(element.get("text"), f"{path}.text", 75, plain_only=True)
        if len(str(element.get("value", ""))) > 2000:
            problems.append(f"{path}.value: must be less than 2001 chars")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{path}.style: must be primary or danger")
    elif kind == "static_select":
        problems += _options(element.get("options"), f"{path}.options", 100)
    elif kind == "checkboxes":
        problems += _options(element.get("options"), f"{path}.options", 10)
    elif kind == "number_input" and not isinstance(element.get("is_decimal_allowed"), bool):
        problems.append(f"{path}.is_decimal_allowed: required")
    return problems


def _block(block: Any, path: str) -> list[str]:
    if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
        return [f"{path}: unknown block type"]
    kind = block["type"]
    if kind == "header":
        return _text(block.get("text"), f"{path}.text", 150, plain_only=True)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            return [f"{path}: must have text or fields"]
        problems = _text(block["text"], f"{path}.text", 3000) if "text" in block else []
        fields = block.get("fields", [])
        if len(fields) > 10:
            problems.append(f"{path}.fields: must hold at most 10 items")
        for i, item in enumerate(fields):
            problems += _text(item, f"{path}.fields[{i}]", 2000)
        return problems
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            return [f"{path}.elements: must hold 1 to 10 items"]
        return [p for i, e in enumerate(elements) for p in _text(e, f"{path}.elements[{i}]", 2000)]
    if kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
            return [f"{path}.elements: must hold 1 to 25 items"]
        seen: set[str] = set()
        return [
            p for i, e in enumerate(elements) for p in _element(e, f"{path}.elements[{i}]", seen)
        ]
    if kind == "input":
        problems = _text(block.get("label"), f"{path}.label", 2000, plain_only=True)
        return problems + _element(block.get("element"), f"{path}.element", set())
    return []


def block_problems(blocks: Any, most: int = 50) -> list[str]:
    """What Slack would refuse in a message's (or view's) blocks."""
    if not isinstance(blocks, list):
        return ["blocks: must be a JSON array"]
    if len(blocks) > most:
        return [f"blocks: must hold at most {most} items"]
    problems: list[str] = []
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        problems += _block(block, f"blocks[{i}]")
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > 255 or block_id in block_ids:
                problems.append(f"blocks[{i}].block_id: must be unique and at most 255 chars")
            block_ids.add(str(block_id))
    return problems


def view_problems(view: Any) -> list[str]:
    """What Slack would refuse in a modal view."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return ["view.type: must be modal"]
    problems = _text(view.get("title"), "view.title", 24, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            problems += _text(view[key], f"view.{key}", 24, plain_only=True)
    blocks = view.get("blocks")
    problems += block_problems(blocks, most=100)
    has_input = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if has_input and "submit" not in view:
        problems.append("view.submit: required when the view has input blocks")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("view.private_metadata: must be less than 3001 chars")
    if len(str(view.get("callback_id", ""))) > 255:
        problems.append("view.callback_id: must be at most 255 chars")
    return problems
