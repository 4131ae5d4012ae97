"""The registry of actions (tui/registry.py) as the screen shows it and the app applies it: the bindings
(footer, keys panel), which actions each key asks for, the command palette's lines, the `?` help's
tables, and the app's guard (`KeyRules`: check_action, run_action, on_key).

Nothing here names an action: everything is read from `ACTIONS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual import events
from textual.actions import parse
from textual.app import SystemCommand
from textual.binding import Binding

from makemore_tui.core.compare import compared_fields
from makemore_tui.core.config import ConfigError
from makemore_tui.tui.feed import Refused
from makemore_tui.tui.registry import ACTIONS, Action, Capabilities, Refusal, Run, find, model_fields, refusal
from makemore_tui.tui.widgets.help import KeyTables

_GROUPS = {label: Binding.Group(label, compact=True) for label in dict.fromkeys(a.group for a in ACTIONS if a.group)}


def binding(action: Action) -> Binding:
    """The Textual binding of one registry entry (one with keys)."""
    return Binding(
        action.keys,
        action.action,
        action.label,
        show=action.show,
        key_display=action.key_display,
        priority=action.priority,
        id=action.id,
        group=_GROUPS.get(action.group),
    )


BINDINGS = [binding(action) for action in ACTIONS if action.keys]
# key -> the actions bound to it, in binding order: to say why a key that none of them may run does nothing
KEY_ACTIONS: dict[str, list[Action]] = {}
for _action in ACTIONS:
    for _key in filter(None, _action.keys.split(",")):
        KEY_ACTIONS.setdefault(_key, []).append(_action)


def palette_line(action: Action) -> str:
    """The command palette's line under an action's title: its key, then what it does."""
    if action.keys and action.palette_help:
        return f"{action.key}: {action.palette_help}"
    return action.palette_help or action.key


def help_tables(caps: Capabilities, run: Run) -> KeyTables:
    """The `?` help's key tables over a feed that can do `caps`: the feed's keys, then the screen's.
    A row is an action whose rule allows it in some run (`Run.opened`), with its partners' keys."""
    opened = run.opened()
    feed_rows, screen_rows = [], []
    for action in ACTIONS:
        if not action.help or refusal(action, caps, opened) is not None:
            continue
        text = dict(action.help_on).get(caps, action.help)
        (screen_rows if action.screen else feed_rows).append((action.help_key or action.key, text))
    title = "Training keys" if caps.trainer else "Follow keys" if caps.control else "Replay keys"
    return [(title, feed_rows), ("Screen keys", screen_rows)]


class KeyRules:
    """The registry's rules as the app applies them (a mixin of MakemoreApp, tui/app.py): which bindings
    Textual may run and show (`check_action`), the one guard every action runs through (`run_action`),
    why a key that nothing may run does nothing (`on_key`), and the palette's lines."""

    def on_key(self, event: events.Key) -> None:
        # Keys typed right after the one that opened a modal screen taking text (the compare picker): Textual
        # handed them to the screen below before the modal was up, and they bubble up here. Give them to it.
        take_key = getattr(self.screen, "take_key", None)
        from_below = event is not getattr(self.screen, "seen_key", None)  # not one that went through it
        if take_key is not None and from_below and event.is_printable and event.character is not None:
            event.stop()
            take_key(event.character)
            return
        # A key that no action bound to it may run here (training keys in a replay): say why, not nothing.
        refusals = [self.refusal(action) for action in KEY_ACTIONS.get(event.key, ())]
        if refusals and all(refusal is not None and refusal.hides for refusal in refusals):
            self.say(refusals[0].reason)

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """Every action (keys, footer, palette) runs here: one that is refused (by the registry's rule,
        or by the feed), or fails, says so in the status line and the app goes on; no exception reaches
        the terminal."""
        try:
            refused = self._refusal_of(action, default_namespace)
            if refused is not None and not refused.hides:  # a refusal that hides: check_action says False
                self.say(refused.reason)
                return True
            return await super().run_action(action, default_namespace, namespaces)
        except Refused as refusal:
            self.say(str(refusal))
        except ConfigError as error:
            self.say(f"refused: {error}")
        except Exception as error:  # a bug: keep the app (and the run) alive, and say so
            name = action.split("(")[0] if isinstance(action, str) else str(action)
            self.log.error(f"action {name} failed", error)
            self.notify(f"{name} failed: {error}", severity="error", timeout=10)
        return True

    def _refusal_of(self, action, namespace) -> Refusal | None:
        """The registry's refusal of an app action asked by its string (None: allowed, or not the app's)."""
        if not isinstance(action, str) or namespace not in (None, self):
            return None
        target, name, arguments = parse(action)
        entry = find(name, arguments) if target in ("", "app") else None
        return None if entry is None else self.refusal(entry)

    def run_keys(self) -> Run:
        """The run the keys act on, as the registry's rules read it (remade when what it reads changes)."""
        key = (self.feed.variants, self._comparing())  # the variants compared by identity: a rerun makes new ones
        if self._run_keys is None or any(old is not new for old, new in zip(self._run_keys[0], key)):
            variants, shown = key
            run = Run(
                shown_compare=shown,
                compare=len(variants) > 1,
                compared=frozenset(compared_fields(variants)),
                fields=model_fields(self.feed.config),
                config=self.feed.config,
            )
            self._run_keys = (key, run)
        return self._run_keys[1]

    def refusal(self, action: Action) -> Refusal | None:
        """Whether the registry's `action` may run now: None, or why not."""
        return refusal(action, self.feed.capabilities, self.run_keys())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        entry = find(action, parameters)
        if entry is None:
            return True  # Textual's own
        if entry.main_screen and self.screen is not self._main:
            return False  # tab in the picker (or help) moves its focus, not the panels behind it
        refused = self.refusal(entry)
        return refused is None or not refused.hides

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The command palette's lines of the registry's actions allowed here."""
        for entry in ACTIONS:
            if entry.palette and self.check_action(entry.name, entry.arguments):
                yield SystemCommand(entry.palette, palette_line(entry), partial(self.run_action, entry.action))
