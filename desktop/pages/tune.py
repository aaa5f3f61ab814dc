""""Train on my riddles": the training data shown first, then training in its own process with a
progress bar (step, loss, time left) and Cancel, then the A/B verdict on held-out news. Tuned
adapters are listed with Use / Stop using / Delete; the riddler follows the choice at once."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.ops import BackgroundOp, failure_sentence
from desktop.pages import PageSpec
from engine.progress import Progress
from engine.tuning import explain_missing_extra, missing_extra
from engine.tuning.data import TrainingSet


class TunePage(QWidget):
    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.op: BackgroundOp | None = None
        self.data: TrainingSet | None = None
        self.missing = missing_extra()

        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.summary = QLabel(self.tr("Gathering your training data…"))
        self.summary.setWordWrap(True)
        self.examples = QListWidget()
        self.examples.setAccessibleName(self.tr("Training examples"))
        self.train_button = QPushButton(self.tr("Train on my riddles"))
        self.train_button.clicked.connect(self.start_training)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.evaluate_after = QCheckBox(self.tr("Compare with the base model on held-out news afterwards"))
        self.evaluate_after.setChecked(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Training progress"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.adapters = QListWidget()
        self.adapters.setAccessibleName(self.tr("Your tuned adapters"))
        self.adapter_buttons = {
            "use": QPushButton(self.tr("Use")), "off": QPushButton(self.tr("Stop using")),
            "delete": QPushButton(self.tr("Delete")), "evaluate": QPushButton(self.tr("Evaluate")),
        }
        for action, button in self.adapter_buttons.items():
            button.clicked.connect(lambda _checked=False, a=action: self.adapter_action(a))
        self._lay_out()
        self.refresh()

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        for widget in (self.explanation, self.summary, self.examples):
            layout.addWidget(widget)
        row = QHBoxLayout()
        for widget in (self.train_button, self.cancel_button, self.evaluate_after):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        for widget in (self.progress, self.status, self.verdict, QLabel(self.tr("Your tuned adapters")), self.adapters):
            layout.addWidget(widget)
        buttons = QHBoxLayout()
        for button in self.adapter_buttons.values():
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    # -- data and adapters --------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.missing:
            self.explanation.setText(self.tr(explain_missing_extra(self.missing)))
        self.explanation.setVisible(bool(self.missing))
        self.train_button.setEnabled(False)
        store = self.context.store
        paths = self.context.paths

        def gather(_cancel, _report):  # noqa: ANN001, ANN202
            from engine.tuning.adapters import in_use, tuned_adapters
            from engine.tuning.history import history_examples
            from engine.tuning.workflow import training_set

            history, rated_down = store.run(history_examples)
            adapters = [(a, in_use(paths, a)) for a in tuned_adapters(paths)]
            return training_set(history), rated_down, adapters

        self.op = BackgroundOp(gather, on_success=self.show_data, on_failure=self.show_failure).start()

    def show_data(self, result) -> None:  # noqa: ANN001 - (TrainingSet, int, list)
        self.data, rated_down, adapters = result
        counts = self.data.counts()
        self.summary.setText(self.tr(
            "{train} training and {validation} validation examples: {history} from your liked or solved riddles, "
            "{shipped} from the hand-written set. Left out: {excluded} (leaks, duplicates, held-out stories) and "
            "{down} you rated down."
        ).format(train=len(self.data.train), validation=len(self.data.validation), history=counts.get("history", 0),
                 shipped=counts.get("shipped", 0), excluded=len(self.data.excluded), down=rated_down))
        self.examples.clear()
        for example in (*self.data.train, *self.data.validation):
            self.examples.addItem(f"[{example.source}] {example.title} → {example.answer}")
        self.adapters.clear()
        for adapter, active in adapters:
            training = adapter.provenance.get("training", {})
            text = self.tr("{name} — {state} — {examples} examples, validation loss {start:.2f} → {end:.2f}").format(
                name=adapter.name, state=self.tr("in use") if active else self.tr("off"),
                examples=training.get("train_examples", "?"), start=training.get("val_start") or 0.0,
                end=training.get("val_end") or 0.0)
            item = QListWidgetItem(text)
            item.setData(256, adapter)
            self.adapters.addItem(item)
        self.train_button.setEnabled(not self.missing and bool(self.data.train))

    # -- training -----------------------------------------------------------------------------------
    def start_training(self) -> None:
        from engine.tuning.workflow import evaluate_adapter, train_adapter

        paths, data, evaluate = self.context.paths, self.data, self.evaluate_after.isChecked()
        config = getattr(self, "config", None)  # a smaller run can be set (tests); None: the defaults

        def work(cancel, report):  # noqa: ANN001, ANN202
            adapter = train_adapter(paths, data, config, progress=report, cancel=cancel)
            result = evaluate_adapter(paths, adapter, progress=report, cancel=cancel) if evaluate else None
            return adapter, result

        self._busy(True)
        self.verdict.clear()
        self.status.setText(self.tr("Starting…"))
        self.op = BackgroundOp(work, on_success=self.trained, on_failure=self.show_failure,
                               on_progress=self.show_progress, on_cancelled=self.cancelled).start()

    def show_progress(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        self.status.setText(progress.message)

    def trained(self, result) -> None:  # noqa: ANN001 - (TunedAdapter, ABResult | None)
        adapter, ab = result
        self._busy(False)
        self.status.setText(self.tr("Adapter {name} is trained and in use for new riddles.").format(name=adapter.name))
        if ab is not None:
            self.verdict.setText(self.verdict_text(ab))
        self.context.use_model(self.context.model_override)  # the next riddle opens the model with the adapter
        self.refresh()

    def verdict_text(self, ab) -> str:  # noqa: ANN001 - ABResult
        lines = []
        for arm in ab.arms:
            rate, low, high = arm.rate(arm.valid)
            lines.append(self.tr("{arm}: {rate:.0%} valid ({low:.0%}–{high:.0%}), first token {ttft:.2f} s").format(
                arm=arm.name, rate=rate, low=low, high=high, ttft=arm.first_token_s))
        return "\n".join([*lines, ab.verdict])

    def cancel(self) -> None:
        if self.op is not None and not self.op.done:
            self.op.cancel()
            self.status.setText(self.tr("Stopping after this step…"))

    def cancelled(self) -> None:
        self._busy(False)
        self.status.setText(self.tr("Training stopped. The run keeps its checkpoint: `riddlewire tune train --resume`."))

    def show_failure(self, error: BaseException) -> None:
        self._busy(False)
        self.status.setText(failure_sentence(error))

    def _busy(self, busy: bool) -> None:
        self.train_button.setEnabled(not busy and not self.missing)
        self.cancel_button.setEnabled(busy)
        for button in self.adapter_buttons.values():
            button.setEnabled(not busy)

    # -- adapters -----------------------------------------------------------------------------------
    def adapter_action(self, action: str) -> None:
        item = self.adapters.currentItem()
        if item is None:
            self.status.setText(self.tr("Pick an adapter in the list first."))
            return
        adapter, paths = item.data(256), self.context.paths

        def work(cancel, report):  # noqa: ANN001, ANN202
            from engine.tuning import adapters
            from engine.tuning.workflow import evaluate_adapter

            if action == "evaluate":
                return evaluate_adapter(paths, adapter, progress=report, cancel=cancel)
            {"use": adapters.switch_on, "off": adapters.switch_off, "delete": adapters.delete}[action](paths, adapter)
            return None

        def done(result) -> None:  # noqa: ANN001
            self._busy(False)
            if result is not None:
                self.verdict.setText(self.verdict_text(result))
            self.context.use_model(self.context.model_override)
            self.refresh()

        self._busy(True)
        self.op = BackgroundOp(work, on_success=done, on_failure=self.show_failure, on_progress=self.show_progress,
                               on_cancelled=self.cancelled).start()


PAGE = PageSpec("tune", "Train", 70, TunePage)
