"""Evaluate: how the installed models (and the pipelines) do on your own news. A table of the latest
run, a quality-vs-speed scatter and per-metric bars (QtCharts), and the recommendation sentence for a
speed budget. "Evaluate" runs every installed model, few-shot, over a frozen set of recent articles."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.ops import BackgroundOp, failure_sentence
from desktop.pages import PageSpec
from desktop.rating import RatingDialog
from desktop.text_fit import WrappingLabel
from engine import arena
from engine.evaluate import ratings
from engine.evaluate.candidates import Candidate, installed_models
from engine.evaluate.charts import COLOURS, METRICS
from engine.evaluate.harness import RunSpec, evaluate
from engine.evaluate.likelihood import CEILING, too_weak
from engine.evaluate.report import COLUMNS, cell
from engine.evaluate.summary import CandidateSummary, latest, recommend
from engine.inference.local import LocalSettings
from engine.progress import Progress


class EvaluatePage(QWidget):
    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.op: BackgroundOp | None = None
        self.summaries: list[CandidateSummary] = []

        self.articles = QSpinBox()
        self.articles.setRange(4, 100)
        self.articles.setValue(8)
        self.articles.setAccessibleName(self.tr("Articles in the set"))
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0, 1000)
        self.budget.setDecimals(1)
        self.budget.setSuffix(self.tr(" riddles/min"))
        self.budget.setAccessibleName(self.tr("Speed budget"))
        self.budget.valueChanged.connect(self._show_recommendation)
        self.run_button = QPushButton(self.tr("Evaluate installed models"))
        self.run_button.clicked.connect(self.run_evaluation)
        self.rate_button = QPushButton(self.tr("Rate riddles blind…"))
        self.rate_button.clicked.connect(self.open_rating)
        self.rating: RatingDialog | None = None
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.hide()
        controls = QHBoxLayout()
        for widget in (
            QLabel(self.tr("Articles:")),
            self.articles,
            QLabel(self.tr("Speed budget:")),
            self.budget,
            self.run_button,
            self.rate_button,
            self.cancel_button,
            self.progress,
        ):
            controls.addWidget(widget)
        controls.addStretch(1)

        # The headline number leads: good riddles per minute from the latest blind ratings, per arm,
        # beside the answer and identifiable rates with their 95% intervals.
        self.headline = QLabel(
            self.tr("No blind ratings yet: rate riddles blind for good riddles per minute.")
        )
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.headline.setProperty("role", "heading")  # the theme's heading size follows Text size
        # The arena's ranking from real plays (issue 19), read afresh each time the page is shown.
        self.arena_ratings = WrappingLabel()
        self.arena_ratings.setObjectName("arenaRatings")
        self.arena_ratings.setAccessibleName(self.tr("Arena ratings"))
        self.arena_ratings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.arena_op: BackgroundOp | None = None
        self.recommendation = QLabel(self.tr("Nothing has been evaluated yet."))
        self.recommendation.setWordWrap(True)
        font = self.recommendation.font()
        font.setBold(True)
        self.recommendation.setFont(font)
        self.provenance = QLabel()
        self.provenance.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(h) for h, _, _ in COLUMNS])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.scatter = QChartView()
        self.bars = QChartView()
        for view in (self.scatter, self.bars):
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumHeight(260)
        charts = QHBoxLayout()
        charts.addWidget(self.scatter)
        charts.addWidget(self.bars)
        self.status = QLabel()

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.headline)
        layout.addWidget(self.arena_ratings)
        layout.addWidget(self.recommendation)
        layout.addWidget(self.provenance)
        layout.addWidget(self.table, 1)
        layout.addLayout(charts, 2)
        layout.addWidget(self.status)
        self.load_latest()

    # -- data ------------------------------------------------------------------------------------
    def load_latest(self) -> None:
        store = self.context.store
        self.op = BackgroundOp(
            lambda _c, _r: (store.run(latest), store.run(ratings.headline)),
            on_success=self._show_loaded,
            on_failure=self._failed,
        ).start()

    def _show_loaded(self, loaded) -> None:  # noqa: ANN001 - (latest(), ratings.headline())
        run, (batch, arms) = loaded
        self.show_run(run)
        self.show_headline(batch, arms)

    # -- the arena -------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.load_arena()  # plays made on the Riddles page since the page was last shown

    def load_arena(self) -> None:
        store = self.context.store
        self.arena_op = BackgroundOp(
            lambda _c, _r: store.run(arena.ratings),
            on_success=self.show_arena,
            on_failure=lambda error: self.arena_ratings.setText(failure_sentence(error)),
        ).start()

    def show_arena(self, ranked: arena.Ratings) -> None:
        self.arena_ratings.setText(self._arena_sentence(ranked))

    def _arena_sentence(self, ranked: arena.Ratings) -> str:
        if not ranked.plays:
            return self.tr(
                "The arena has no plays yet: turn on Settings → Game → Arena when two or more models are "
                "installed (a base model and a tuned adapter on it count as two), then play the day's "
                "riddles."
            )
        if len(ranked.models) < 2:
            return self.tr(
                "Arena: %n play(s) so far, all of {model}; the models are ranked once a second model's "
                "riddles are played.",
                "",
                ranked.plays,
            ).format(model=ranked.models[0].model)
        verdict = (
            self.tr("No clear winner yet: the intervals overlap.")
            if ranked.overlapping()
            else self.tr("{model} leads: the intervals do not overlap.").format(model=ranked.models[0].model)
        )
        return self.tr(
            "Arena, from your blind plays (Bradley–Terry ratings, 95% intervals):\n{line}.\n{verdict}"
        ).format(line=ranked.line(), verdict=verdict)

    def show_headline(self, batch: str | None, arms: list[ratings.ArmReport]) -> None:
        if not any(arm.rated for arm in arms):
            return
        self.headline.setText(
            self.tr("Good riddles per minute on this machine (blind ratings, {batch}):\n{arms}").format(
                batch=batch, arms=ratings.report_text(arms)
            )
        )

    def open_rating(self) -> None:
        """Blind rating of the queued riddles (`riddlewire eval arms` fills the queue)."""
        self.rating = RatingDialog(self.context, parent=self)
        self.rating.finished.connect(lambda _code: self.load_latest())
        self.rating.show()

    def show_run(self, result) -> None:  # noqa: ANN001 - (RunRecord | None, list[CandidateSummary])
        record, self.summaries = result
        if record is not None:
            self.provenance.setText(
                self.tr(
                    "Run {id} of {when}: {n} articles, seed {seed}, solver {solver} "
                    "(chance level 25%), {status}."
                ).format(
                    id=record.id,
                    when=record.created_at,
                    n=len(record.articles),
                    seed=record.seed,
                    solver=record.solver_model.rsplit("/", 1)[-1] or self.tr("none"),
                    status=record.status,
                )
            )
        self._fill_table()
        self.scatter.setChart(self._scatter_chart())
        self.bars.setChart(self._bar_chart())
        self._show_recommendation()

    def _show_recommendation(self) -> None:
        self.recommendation.setText(
            recommend(self.summaries, self.budget.value())
            if self.summaries
            else self.tr("Nothing has been evaluated yet.")
        )

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self.summaries))
        hide_solved = too_weak()
        if hide_solved:
            self.provenance.setText(
                self.provenance.text()
                + " "
                + self.tr(
                    "The solver is too weak to use: it picks the right headline for only {ceiling:.0%} of "
                    "riddles people wrote (chance is 25%), so its number is hidden."
                ).format(ceiling=CEILING)
            )
        for row, summary in enumerate(self.summaries):
            for column, (_, field, fmt) in enumerate(COLUMNS):
                text = "—" if hide_solved and field == "solvability" else cell(summary, field, fmt)
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    # -- charts ----------------------------------------------------------------------------------
    def _scatter_chart(self) -> QChart:
        chart = QChart()
        chart.setTitle(self.tr("Quality vs speed"))
        x_axis, y_axis = QValueAxis(), QValueAxis()
        x_axis.setTitleText(self.tr("riddles per minute"))
        x_axis.setRange(0, max([s.riddles_per_min for s in self.summaries] + [1.0]) * 1.15)
        y_axis.setTitleText(self.tr("solvability"))
        y_axis.setRange(0, 1)
        y_axis.setLabelFormat("%.2f")
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        chance = QLineSeries()
        chance.setName(self.tr("chance"))
        chance.append(0, 0.25)
        chance.append(x_axis.max(), 0.25)
        for i, summary in enumerate(self.summaries):
            point = QScatterSeries()
            point.setName(summary.label)
            point.setColor(QColor(COLOURS[i % len(COLOURS)]))
            point.append(summary.riddles_per_min, summary.solvability)
            self._attach(chart, point, x_axis, y_axis)
        self._attach(chart, chance, x_axis, y_axis)
        return chart

    def _bar_chart(self) -> QChart:
        chart = QChart()
        chart.setTitle(self.tr("Per-metric shares"))
        series = QBarSeries()
        for i, summary in enumerate(self.summaries):
            bar_set = QBarSet(summary.label)
            bar_set.setColor(QColor(COLOURS[i % len(COLOURS)]))
            bar_set.append([getattr(summary, field) for field, _ in METRICS])
            series.append(bar_set)
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([self.tr(title) for _, title in METRICS])
        values = QValueAxis()
        values.setRange(0, 1)
        values.setLabelFormat("%.1f")
        chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(categories)
        series.attachAxis(values)
        return chart

    @staticmethod
    def _attach(chart: QChart, series, x_axis: QValueAxis, y_axis: QValueAxis) -> None:  # noqa: ANN001
        chart.addSeries(series)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)

    # -- running -----------------------------------------------------------------------------------
    def candidates(self) -> tuple[Candidate, ...]:
        override = self.context.model_override
        models = [override.path] if override is not None else installed_models(self.context.paths)
        return tuple(Candidate(str(path), "few-shot") for path in models)

    def run_evaluation(self) -> None:
        candidates = self.candidates()
        if not candidates:
            self.status.setText(
                self.tr("No model is installed yet: riddle some news first, or add one on the Models page.")
            )
            return
        context, articles = self.context, self.articles.value()
        self._set_running(True)
        self.op = BackgroundOp(
            lambda cancel, report: evaluate(
                context.store,
                RunSpec(candidates, articles=articles, settings=self._engine_settings()),
                context.paths,
                progress=report,
                cancel=cancel,
            ),
            on_success=lambda _record: self._finished(self.tr("Evaluation finished.")),
            on_failure=self._failed,
            on_progress=self._progressed,
            on_cancelled=lambda: self._finished(self.tr("Stopped. Everything measured so far is kept.")),
        ).start()

    def _engine_settings(self) -> LocalSettings:
        """The settings the reader's worker gets (the user's settings and the device fit check, or a
        test's fixed ones), kept loaded for the whole run (blocking: call from the background op)."""
        settings = self.context.engine_settings(self.context.active_model())
        return replace(settings, idle_unload_s=None)

    def cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()

    def _progressed(self, progress: Progress) -> None:
        self.progress.setRange(0, max(1, progress.total))
        self.progress.setValue(progress.done)
        self.status.setText(progress.message)

    def _finished(self, message: str) -> None:
        self._set_running(False)
        self.status.setText(message)
        self.load_latest()

    def _failed(self, error: BaseException) -> None:
        self._set_running(False)
        self.status.setText(failure_sentence(error))

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)


PAGE = PageSpec("evaluate", "Evaluate", 60, EvaluatePage)
