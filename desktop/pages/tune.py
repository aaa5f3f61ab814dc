""" "Train on my riddles": the training data shown first (optionally with riddles distilled from a
stronger model, kept only when they pass the checks), then training in its own process with a
progress bar (step, loss, time left) and Cancel, then the A/B verdict on held-out news. Tuned
adapters are listed with Use / Stop using / Delete / Evaluate / Merge; the riddler follows the
choice at once."""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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
        self.train_button.clicked.connect(lambda: self.start_training())
        self.resume_button = QPushButton(self.tr("Resume stopped training"))
        self.resume_button.setVisible(False)
        self.resume_button.clicked.connect(lambda: self.start_training(resume=self.resumable))
        self.resumable = None  # the newest stopped run folder with a checkpoint, if any
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.evaluate_after = QCheckBox(self.tr("Compare with the base model on held-out news afterwards"))
        self.evaluate_after.setChecked(True)
        # Distillation: a teacher (another installed model, or a service typed as URL#MODEL) riddles
        # the user's news; only riddles that pass validity, no-leak and solvability are kept.
        self.teacher = QComboBox()
        self.teacher.setEditable(True)
        self.teacher.setAccessibleName(self.tr("Teacher model for distillation"))
        self.teacher.lineEdit().setPlaceholderText(self.tr("another model, or http://host:port/v1#model"))
        self.distill_button = QPushButton(self.tr("Add riddles from this model"))
        self.distill_button.clicked.connect(self.start_distilling)
        self.use_distilled = QCheckBox(self.tr("Train on distilled riddles too"))
        self.use_distilled.setChecked(True)
        self.use_distilled.toggled.connect(
            lambda _on: self.refresh() if self.op is None or self.op.done else None
        )
        self.distilled_summary = QLabel()
        self.distilled_summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Training progress"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.adapters = QListWidget()
        self.adapters.setAccessibleName(self.tr("Your tuned adapters"))
        self.adapter_buttons = {
            "use": QPushButton(self.tr("Use")),
            "off": QPushButton(self.tr("Stop using")),
            "delete": QPushButton(self.tr("Delete")),
            "evaluate": QPushButton(self.tr("Evaluate")),
            "merge": QPushButton(self.tr("Merge into a standalone model")),
        }
        for action, button in self.adapter_buttons.items():
            button.clicked.connect(lambda _checked=False, a=action: self.adapter_action(a))
        self.adapters.currentRowChanged.connect(lambda _row: self._enable_adapter_buttons())
        self._lay_out()
        self.refresh()

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        for widget in (self.explanation, self.summary, self.examples):
            layout.addWidget(widget)
        teach = QHBoxLayout()
        for widget in (
            QLabel(self.tr("Distill from:")),
            self.teacher,
            self.distill_button,
            self.use_distilled,
        ):
            teach.addWidget(widget)
        teach.addStretch(1)
        layout.addLayout(teach)
        layout.addWidget(self.distilled_summary)
        row = QHBoxLayout()
        for widget in (self.train_button, self.resume_button, self.cancel_button, self.evaluate_after):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        for widget in (
            self.progress,
            self.status,
            self.verdict,
            QLabel(self.tr("Your tuned adapters")),
            self.adapters,
        ):
            layout.addWidget(widget)
        buttons = QHBoxLayout()
        for button in self.adapter_buttons.values():
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    # -- data and adapters --------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """The data is read again each time the page is shown: riddles solved and rated since count
        (training uses what is shown). A running training, distillation or refresh is left alone."""
        super().showEvent(event)
        if self.op is None or self.op.done:
            self.refresh()

    def refresh(self) -> None:
        if self.missing:
            self.explanation.setText(self.tr(explain_missing_extra(self.missing)))
        self.explanation.setVisible(bool(self.missing))
        self.train_button.setEnabled(False)
        store = self.context.store
        paths = self.context.paths
        with_distilled = self.use_distilled.isChecked()

        def gather(_cancel, _report):  # noqa: ANN001, ANN202
            from engine.tuning.adapters import in_use, tuned_adapters
            from engine.tuning.distill import distilled_examples, teachers
            from engine.tuning.history import history_examples
            from engine.tuning.workflow import resumable_run, training_set

            history, rated_down = store.run(history_examples)
            adapters = [(a, in_use(paths, a)) for a in tuned_adapters(paths)]
            distilled = distilled_examples(paths)
            data = training_set(history, distilled=distilled if with_distilled else [])
            return data, rated_down, adapters, teachers(paths), len(distilled), resumable_run(paths)

        self.op = BackgroundOp(gather, on_success=self.show_data, on_failure=self.show_failure).start()

    def show_data(self, result) -> None:  # noqa: ANN001 - (TrainingSet, int, list, list, int)
        self.data, rated_down, adapters, teachers, distilled, self.resumable = result
        self.resume_button.setVisible(self.resumable is not None)
        self.resume_button.setEnabled(self.resumable is not None and not self.missing)
        counts = self.data.counts()
        self.summary.setText(
            self.tr("%n example(s) to train on", "", len(self.data.train))
            + self.tr(" and %n to validate with", "", len(self.data.validation))
            + self.tr(
                ": {history} from your liked or solved riddles, {shipped} from the hand-written set, "
                "{distilled} distilled. Left out: {excluded} (leaks, duplicates, held-out stories) "
                "and {down} you rated down."
            ).format(
                history=counts.get("history", 0),
                shipped=counts.get("shipped", 0),
                distilled=counts.get("distilled", 0),
                excluded=len(self.data.excluded),
                down=rated_down,
            )
        )
        self.use_distilled.setText(self.tr("Train on distilled riddles too ({n} saved)").format(n=distilled))
        typed = self.teacher.currentText() if self.teacher.currentIndex() < 0 else ""
        self.teacher.clear()
        for teacher in teachers:
            self.teacher.addItem(teacher.label, teacher.spec)
        if typed:
            self.teacher.setEditText(typed)
        self.examples.clear()
        for example in (*self.data.train, *self.data.validation):
            self.examples.addItem(f"[{example.source}] {example.title} → {example.answer}")
        self.adapters.clear()
        for adapter, active in adapters:
            training = adapter.provenance.get("training", {})
            text = self.tr(
                "{name} — {state} — {examples} examples, validation loss {start:.2f} → {end:.2f}"
            ).format(
                name=adapter.name,
                state=self.tr("in use") if active else self.tr("off"),
                examples=training.get("train_examples", "?"),
                start=training.get("val_start") or 0.0,
                end=training.get("val_end") or 0.0,
            )
            item = QListWidgetItem(text)
            item.setData(256, adapter)
            self.adapters.addItem(item)
        self._enable_adapter_buttons()
        self.train_button.setEnabled(not self.missing and bool(self.data.train))
        self.distill_button.setEnabled(True)

    # -- distillation -------------------------------------------------------------------------------
    def teacher_spec(self) -> str:
        """The chosen installed model's key, or what the user typed (a service URL#MODEL, or a name)."""
        index = self.teacher.currentIndex()
        if index >= 0 and self.teacher.itemText(index) == self.teacher.currentText():
            return str(self.teacher.itemData(index))
        return self.teacher.currentText().strip()

    def start_distilling(self) -> None:
        spec = self.teacher_spec()
        if not spec:
            self.status.setText(
                self.tr("Choose a teacher: another installed model, or a service as URL#MODEL.")
            )
            return
        store, paths = self.context.store, self.context.paths
        limit = getattr(self, "distill_limit", None)  # a smaller run can be set (tests); None: all news

        def work(cancel, report):  # noqa: ANN001, ANN202
            from engine.tuning.distill import history_news
            from engine.tuning.workflow import distill_news

            return distill_news(
                paths, store.run(history_news), spec, limit=limit, progress=report, cancel=cancel
            )

        self._busy(True)
        self.status.setText(self.tr("Asking the teacher for riddles…"))
        self.op = BackgroundOp(
            work,
            on_success=self.distilled,
            on_failure=self.show_failure,
            on_progress=self.show_progress,
            on_cancelled=self.distill_cancelled,
        ).start()

    def distilled(self, result) -> None:  # noqa: ANN001 - DistillResult
        self._busy(False)
        reasons = "; ".join(f"{count} {why}" for why, count in result.reasons().items()) or self.tr("none")
        self.distilled_summary.setText(
            self.tr(
                "{teacher}: kept {kept} of %n riddle(s) (solver: {solver}). Rejected: {reasons}.",
                "",
                result.tried,
            ).format(
                teacher=result.teacher,
                kept=len(result.kept),
                solver=result.solver,
                reasons=reasons,
            )
        )
        self.status.setText(self.tr("Distilled riddles are saved and shown with the training data."))
        self.refresh()

    def distill_cancelled(self) -> None:
        self._busy(False)
        self.status.setText(self.tr("Distillation stopped; nothing from this run was kept."))

    # -- training -----------------------------------------------------------------------------------
    def start_training(self, resume=None) -> None:  # noqa: ANN001 - a stopped run's folder, or None
        from engine.tuning.workflow import evaluate_adapter, train_adapter

        paths, data, evaluate = self.context.paths, self.data, self.evaluate_after.isChecked()
        config = getattr(self, "config", None)  # a smaller run can be set (tests); None: the defaults

        def work(cancel, report):  # noqa: ANN001, ANN202
            adapter = train_adapter(paths, data, config, resume=resume, progress=report, cancel=cancel)
            result = evaluate_adapter(paths, adapter, progress=report, cancel=cancel) if evaluate else None
            return adapter, result

        self._busy(True)
        self.verdict.clear()
        self.status.setText(self.tr("Starting…"))
        self.op = BackgroundOp(
            work,
            on_success=self.trained,
            on_failure=self.show_failure,
            on_progress=self.show_progress,
            on_cancelled=self.cancelled,
        ).start()

    def show_progress(self, progress: Progress) -> None:
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        self.status.setText(progress.message)

    def trained(self, result) -> None:  # noqa: ANN001 - (TunedAdapter, ABResult | None)
        adapter, ab = result
        self._busy(False)
        self.status.setText(
            self.tr("Adapter {name} is trained and in use for new riddles.").format(name=adapter.name)
        )
        if ab is not None:
            self.verdict.setText(self.verdict_text(ab))
        self.context.use_model(
            self.context.model_override
        )  # the next riddle opens the model with the adapter
        self.refresh()

    def verdict_text(self, ab) -> str:  # noqa: ANN001 - ABResult
        lines = []
        for arm in ab.arms:
            rate, low, high = arm.rate(arm.valid)
            lines.append(
                self.tr(
                    "{arm}: {rate:.0%} valid ({low:.0%}–{high:.0%}), {solved} of {valid} solved, "
                    "first token {ttft:.2f} s"
                ).format(
                    arm=arm.name,
                    rate=rate,
                    low=low,
                    high=high,
                    solved=arm.solved,
                    valid=arm.valid,
                    ttft=arm.first_token_s,
                )
            )
        return "\n".join([*lines, ab.verdict])

    def cancel(self) -> None:
        if self.op is not None and not self.op.done:
            self.op.cancel()
            self.status.setText(self.tr("Stopping after this step…"))

    def cancelled(self) -> None:
        self._busy(False)
        self.status.setText(
            self.tr("Training stopped. A run that reached a checkpoint can be resumed from it.")
        )
        self.refresh()

    def show_failure(self, error: BaseException) -> None:
        self._busy(False)
        self.status.setText(failure_sentence(error))

    def _busy(self, busy: bool) -> None:
        self.train_button.setEnabled(not busy and not self.missing)
        self.resume_button.setEnabled(not busy and not self.missing and self.resumable is not None)
        self.cancel_button.setEnabled(busy)
        self.distill_button.setEnabled(not busy)
        self._working = busy
        self._enable_adapter_buttons()

    def _enable_adapter_buttons(self) -> None:
        """The adapter buttons act on the chosen adapter: with none chosen (an empty list), none is on."""
        chosen = self.adapters.currentItem() is not None
        for button in self.adapter_buttons.values():
            button.setEnabled(chosen and not getattr(self, "_working", False))

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
            if action == "merge":
                from engine.tuning.workflow import merge_and_register

                return merge_and_register(paths, adapter, progress=report, cancel=cancel)
            {"use": adapters.switch_on, "off": adapters.switch_off, "delete": adapters.delete}[action](
                paths, adapter
            )
            return None

        def done(result) -> None:  # noqa: ANN001
            self._busy(False)
            if hasattr(result, "arms"):
                self.verdict.setText(self.verdict_text(result))
            elif result is not None:
                self.status.setText(
                    self.tr("Merged: {name} is in the model manager ({size} MB).").format(
                        name=result.name, size=result.size_bytes // 1_000_000
                    )
                )
            self.context.use_model(self.context.model_override)
            self.refresh()

        def stopped() -> None:
            self._busy(False)
            self.status.setText(self.tr("Stopped; nothing was changed."))

        self._busy(True)
        self.op = BackgroundOp(
            work,
            on_success=done,
            on_failure=self.show_failure,
            on_progress=self.show_progress,
            on_cancelled=stopped,
        ).start()


PAGE = PageSpec("tune", "Train", 70, TunePage)
