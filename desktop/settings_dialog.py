"""The one settings window: a section list on the left, one row per setting on the right. Each row
has its editor, a one-line explanation and a Reset button; the rows come from engine.settings, so a
new setting appears here without touching this file."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.theme import mark
from engine.settings import SECTIONS, SETTINGS, Setting, Settings, Value


def tr_engine(text: str) -> str:
    """Words written in engine/ (titles, explanations) go through Qt's translation too."""
    return QCoreApplication.translate("engine.settings", text)


def choice_words() -> dict[str, str]:
    tr = tr_engine
    return {
        "auto": tr("Auto"),
        "gpu": tr("Graphics card (GPU)"),
        "cpu": tr("Processor (CPU)"),
        "few-shot": tr("Examples (few-shot)"),
        "zero-shot": tr("Instructions (zero-shot)"),
        "service": tr("A model service"),
        "news-and-models": tr("News and models"),
        "news-only": tr("News only"),
        "offline": tr("Offline"),
        "system": tr("System"),
        "light": tr("Light"),
        "dark": tr("Dark"),
        "en": tr("English"),
        "debug": tr("Debug"),
        "info": tr("Normal"),
        "warning": tr("Warnings only"),
        "error": tr("Errors only"),
    }


class SettingRow(QWidget):
    """Title, editor and Reset on one line; the explanation under them."""

    changed = Signal(str, object)  # key, value

    def __init__(self, setting: Setting, value: Value):
        super().__init__()
        self.setting = setting
        self.title = QLabel(tr_engine(setting.title))
        self.editor, self._read, self._write = _editor(setting)
        self.editor.setAccessibleName(tr_engine(setting.title))
        self.editor.setToolTip(tr_engine(setting.explanation))
        self.title.setBuddy(self.editor)
        self.reset_button = mark(QPushButton(self.tr("Reset")), "flat")
        self.reset_button.setToolTip(
            self.tr("Back to the default: {value}").format(value=_shown(setting.default))
        )
        self.reset_button.clicked.connect(lambda: self.set_value(setting.default, emit=True))
        explanation = tr_engine(setting.explanation)
        if setting.restart:
            explanation += " " + self.tr("Takes effect the next time Riddlewire starts.")
        self.explanation = mark(QLabel(explanation), "explanation")
        self.explanation.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.title, 2)
        top.addWidget(self.editor, 2)
        if setting.key == "storage.data_folder":
            browse = QPushButton(self.tr("Choose…"))
            browse.clicked.connect(self._choose_folder)
            top.addWidget(browse)
        top.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.explanation)
        self.set_value(value, emit=False)
        _connect(self.editor, lambda: self.changed.emit(setting.key, self._read()))
        self.changed.connect(lambda _k, v: self.reset_button.setEnabled(v != setting.default))

    def set_value(self, value: Value, emit: bool) -> None:
        self._write(value)
        self.reset_button.setEnabled(value != self.setting.default)
        if emit:
            self.changed.emit(self.setting.key, self._read())

    def value(self) -> Value:
        return self._read()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose the data folder"), str(self.value()))
        if folder:
            self.set_value(folder, emit=True)


def _shown(value: Value) -> str:
    if isinstance(value, bool):
        return (
            QCoreApplication.translate("SettingRow", "on")
            if value
            else QCoreApplication.translate("SettingRow", "off")
        )
    if value == "":
        return QCoreApplication.translate("SettingRow", "empty")
    return choice_words().get(str(value), str(value))


def _editor(setting: Setting) -> tuple[QWidget, Callable[[], Value], Callable[[Value], None]]:
    """The right editor for the setting's type, with a reader and a writer for its value."""
    kind = type(setting.default)
    if setting.choices:
        box = QComboBox()
        words = choice_words()
        for choice in setting.choices:
            box.addItem(words.get(choice, choice), choice)
        return box, box.currentData, lambda v: box.setCurrentIndex(max(0, box.findData(v)))
    if kind is bool:
        check = QCheckBox()
        return check, check.isChecked, lambda v: check.setChecked(bool(v))
    if kind is int:
        spin = QSpinBox()
        spin.setRange(int(setting.minimum), int(setting.maximum))
        return spin, spin.value, lambda v: spin.setValue(int(v))
    if kind is float:
        spin = QDoubleSpinBox()
        spin.setRange(setting.minimum, setting.maximum)
        spin.setSingleStep(0.05)
        spin.setDecimals(2)
        return spin, spin.value, lambda v: spin.setValue(float(v))
    line = QLineEdit()
    line.setPlaceholderText(QCoreApplication.translate("SettingRow", "default"))
    return line, lambda: line.text().strip(), lambda v: line.setText(str(v))


def _connect(editor: QWidget, slot: Callable[[], None]) -> None:
    for signal in ("currentIndexChanged", "toggled", "valueChanged", "textEdited"):
        if hasattr(editor, signal):
            getattr(editor, signal).connect(slot)
            return


class SettingsDialog(QDialog):
    """Edits a copy of the settings; Save applies them all at once (and writes the file)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.draft: Settings = context.settings
        self.setWindowTitle(self.tr("Riddlewire settings"))
        self.resize(860, 600)
        self.rows: dict[str, SettingRow] = {}

        self.sections = QListWidget()
        self.sections.setObjectName("nav")
        self.sections.setFixedWidth(190)
        self.sections.setAccessibleName(self.tr("Settings sections"))
        self.pages = QStackedWidget()
        for key, title in SECTIONS.items():
            self.sections.addItem(tr_engine(title))
            self.pages.addWidget(self._section_page(key, title))
        self.sections.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.sections.setCurrentRow(0)

        self.restore_all = QPushButton(self.tr("Restore all defaults"))
        self.restore_all.clicked.connect(self.reset_all)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        mark(self.save_button, "primary")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.restore_all)
        bottom.addStretch(1)
        bottom.addWidget(buttons)

        body = QHBoxLayout()
        body.setSpacing(16)
        body.addWidget(self.sections)
        body.addWidget(self.pages, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)

    def _section_page(self, section: str, title: str) -> QWidget:
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(mark(QLabel(tr_engine(title)), "heading"))
        for setting in SETTINGS:
            if setting.section == section and setting.visible:
                row = SettingRow(setting, self.draft[setting.key])
                row.changed.connect(self._changed)
                self.rows[setting.key] = row
                column.addWidget(row)
        if section == "news":
            column.addWidget(self._feeds_link())
        if section == "privacy":
            note = mark(
                QLabel(
                    self.tr(
                        "Riddlewire sends nothing about you anywhere: no accounts, no statistics. "
                        "Feeds are fetched directly from their sites, models from the download "
                        "server above. Riddles are made on this computer."
                    )
                ),
                "notice",
            )
            note.setWordWrap(True)
            column.addWidget(note)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        return scroll

    def _feeds_link(self) -> QWidget:
        """Feeds are a list, not a setting: they live on the Feeds page (and in the welcome tour)."""
        button = QPushButton(self.tr("Choose your news sources…"))
        button.setToolTip(self.tr("Add, remove or import feeds (OPML) on the Feeds page."))
        button.clicked.connect(self._show_feeds)
        return button

    def _show_feeds(self) -> None:
        self.save()
        window = self.parent()
        if window is not None and hasattr(window, "show_page"):
            window.show_page("feeds")

    def _changed(self, key: str, value: Value) -> None:
        self.draft = self.draft.with_value(key, value)

    def reset_all(self) -> None:
        for row in self.rows.values():
            row.set_value(row.setting.default, emit=True)

    def save(self) -> None:
        self.context.apply_settings(self.draft)
        self.accept()
