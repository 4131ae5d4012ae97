"""The app's compare actions (DESIGN §7): start a compare (picker, presets), leave it, rerun paused
at step 0, and choose what the compare's panels show (variant: v, histogram layer: l).

A mixin of MakemoreApp (tui/app.py): it uses the app's feed, view, `_send` and `say`. The feed holds
what the next rerun trains (`feed.variants`); every start is one `Rerun(variants=…, paused=…)`.
"""

from __future__ import annotations

from makemore_tui.core.commands import Rerun
from makemore_tui.core.compare import Variant, single
from makemore_tui.core.config import ConfigError, TrainConfig
from makemore_tui.core.wording import config_tag, experiments
from makemore_tui.tui.feed import Refused
from makemore_tui.tui.keys import COMPARE_VIEW_ACTIONS
from makemore_tui.tui.widgets.histogram import HistogramPanel
from makemore_tui.tui.widgets.history import HistoryPanel
from makemore_tui.tui.widgets.picker import PRESET_IDS, Choice, ComparePicker, preset_variants
from makemore_tui.tui.widgets.samples import SamplesPanel
from makemore_tui.tui.widgets.satmap import SatMapPanel
from makemore_tui.tui.widgets.variants import labels_line
from makemore_tui.tui.widgets.weights import WeightsPanel


class CompareActions:
    """Compare keys and palette entries of the app."""

    def _comparing(self) -> bool:
        """True while the run on screen is a compare."""
        return self.view.current is not None and self.view.current.compare

    def _compare_check(self, action: str) -> bool | None:
        """check_action for the compare's actions (None: not one of them)."""
        if action == "next_panel" and self.screen is not self._main:
            return False  # tab in the picker (or help) moves its focus, not the panels behind it
        if action == "compare_preset":
            return self.feed.can("open_compare")
        if action in COMPARE_VIEW_ACTIONS:
            return self._comparing()
        if action == "leave_compare":
            return self.feed.can(action) and len(self.feed.variants) > 1
        return None

    def _keep_paused(self) -> bool:
        """A rerun of a paused run starts paused too (at step 0, its statistics on screen)."""
        return bool(getattr(self.feed, "paused", False))

    def _shown_config(self) -> TrainConfig:
        """The config of the variant the one-variant panels show (a single run's config)."""
        variants = self.feed.variants
        return variants[self.view.shown_variant % len(variants)].config

    def _started(self, record: dict) -> str:
        variants = record.get("variants") if isinstance(record.get("variants"), list) else []
        if len(variants) > 1:
            labels = labels_line([str(v.get("label", "")) for v in variants if isinstance(v, dict)])
            return f"run {record['run']} started: compare {labels}"
        config = record.get("config") or {}
        return " · ".join([f"run {record['run']} started {config_tag(config)}", *experiments(config)])

    def _train(self, variants: list[Variant], paused: bool, what: str) -> None:
        """Rerun `variants` (a compare, or one: a single run), paused at step 0 or not."""
        self.view.shown_variant = 0
        self._send(Rerun(variants=tuple(variants), paused=paused), what)

    def action_open_compare(self) -> None:
        """The compare picker: the lecture's comparisons, or any FIELD=V1,V2,…"""
        if isinstance(self.screen, ComparePicker):
            return
        picker = ComparePicker(self._shown_config(), comparing=len(self.feed.variants) > 1, paused=self._keep_paused())
        self.push_screen(picker, self._picked)

    def _picked(self, choice: Choice | None) -> None:
        if choice is None:
            return
        try:
            self._train(list(choice.variants), choice.paused, choice.what)
        except (Refused, ConfigError) as error:  # as run_action says any refused action
            self.say(str(error))

    def action_compare_preset(self, preset: str) -> None:
        """Start one of the lecture's comparisons over the variant shown."""
        chosen = PRESET_IDS[preset]
        self._train(preset_variants(chosen, self._shown_config()), self._keep_paused(), chosen.title)

    def action_leave_compare(self) -> None:
        """Back to a single run: the variant the map and samples show."""
        self._train(single(self._shown_config()), self._keep_paused(), "single run")

    def action_rerun_paused(self) -> None:
        """Rerun what trains now, paused at step 0: the init's statistics on screen, n steps."""
        self._train(list(self.feed.variants), True, "paused at step 0")

    def action_next_variant(self) -> None:
        """The next variant in the one-variant panels (weights, saturation map, samples, history)."""
        run = self.view.current
        self.view.shown_variant = (self.view.shown_variant + 1) % len(run.variants)
        for panel in [*self.query(SatMapPanel), *self.query(SamplesPanel), *self.query(WeightsPanel)]:
            panel.refresh()
        for panel in self.query(HistoryPanel):
            panel.refresh()
        shown = run.variants[self.view.shown_variant]
        self.say(f"weights, map, samples and history: {shown.name}")

    def action_next_hist_layer(self) -> None:
        """The next layer in the histograms' small multiples."""
        panels = list(self.query(HistogramPanel))
        count = max((len((v.stats or {}).get("layers") or []) for v in self.view.current.variants), default=0)
        if not panels or not count:
            return
        position = panels[0].layer_position(self.view.current)
        self.view.hist_layer = (position + 1) % count
        for panel in panels:
            panel.refresh()
        self.say(f"histograms: L{self.view.hist_layer + 1}/{count}")

    def action_toggle_hist_scale(self) -> None:
        """The histograms' small multiples: each its own y scale (the default), or one shared by all."""
        self.view.hist_shared_y = not self.view.hist_shared_y
        for panel in self.query(HistogramPanel):
            panel.refresh()
        shared = self.view.hist_shared_y
        self.say("histograms: " + ("one y scale for all variants" if shared else "each its own y scale"))
