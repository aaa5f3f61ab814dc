"""Counted words through Qt's tr() with %n: English forms by the "(s)" rule, and a real translation
installed later still wins."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QWidget

from desktop.plurals import english_form, install_english_plurals


class CountingPage(QWidget):
    pass


def test_english_forms_for_one_and_for_any_other_count(qapp):
    install_english_plurals(qapp)
    page = CountingPage()
    tr = page.tr
    assert [tr("%n riddle(s)", "", n) for n in (0, 1, 2)] == ["0 riddles", "1 riddle", "2 riddles"]
    assert tr("%n feed(s) checked", "", 1) == "1 feed checked"
    assert tr(", %n point(s)", "", 1) == ", 1 point"
    assert tr("Words without a count") == "Words without a count"  # untouched
    assert english_form("%n new article(s).", 3) == "%n new articles."


def test_a_translation_installed_after_it_takes_precedence(qapp):
    class Shouting(QTranslator):
        def translate(self, context, source, disambiguation=None, n=-1):  # noqa: ANN001, ANN201
            return source.upper().replace("%N", "%n") if "(s)" in source else None

    install_english_plurals(qapp)
    louder = Shouting()
    qapp.installTranslator(louder)
    try:
        assert CountingPage().tr("%n riddle(s)", "", 2) == "2 RIDDLE(S)"
    finally:
        QCoreApplication.removeTranslator(louder)
    assert CountingPage().tr("%n riddle(s)", "", 2) == "2 riddles"
