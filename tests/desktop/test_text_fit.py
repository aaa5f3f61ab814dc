"""The pieces that keep text from widening the window, on their own (the whole window is checked in
test_reader_layout.py): a label with a 300-letter word, a link of 400 characters, a headline button
and a row of buttons, each given less width than their text wants."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from desktop.text_fit import BREAK, ElidedLink, FlowLayout, WrappingButton, WrappingLabel, breakable, plain

WORD = "Supercalifragilistic" * 15  # 300 letters, no break


def test_long_words_get_break_points_and_short_ones_do_not(qapp):
    assert breakable("a short line") == "a short line"
    broken = breakable(f"see {WORD} here")
    assert BREAK in broken and plain(broken) == f"see {WORD} here"
    assert all(len(chunk) <= 18 for chunk in broken.split()[1].split(BREAK))


def test_a_label_with_a_long_word_asks_for_little_width_and_wraps_it(qapp, qtbot):
    plain_qt = QLabel(WORD)
    plain_qt.setWordWrap(True)
    label = WrappingLabel(WORD)
    qtbot.addWidget(label)
    assert plain_qt.minimumSizeHint().width() > 1000  # what Qt's own label asks for
    assert label.minimumSizeHint().width() < 200
    assert label.text() == WORD  # as given, without the break points
    assert label.heightForWidth(200) > 5 * label.fontMetrics().height()  # it wraps, over many lines
    label.clear()
    assert label.text() == ""


def test_a_long_link_is_elided_to_its_width_and_kept_whole_behind(qapp, qtbot):
    url = QUrl("https://news.example.org/" + "slug-" * 80)
    link = ElidedLink()
    qtbot.addWidget(link)
    link.set_link(url)
    link.resize(300, 30)
    link.show()
    assert link.minimumSizeHint().width() < 120 and link.sizeHint().width() < 400
    assert "…" in link.text() and link.fontMetrics().horizontalAdvance(link.text().split(">")[1]) < 400
    assert f'href="{url.toString(QUrl.ComponentFormattingOption.FullyEncoded)}"' in link.text()
    assert link.toolTip() == url.toDisplayString()
    link.set_link(None)
    assert link.text() == ""


def test_a_headline_button_wraps_its_caption(qapp, qtbot):
    button = WrappingButton()
    qtbot.addWidget(button)
    button.set_caption("1. " + "A very long headline about the council and the bridge " * 4)
    assert button.minimumSizeHint().width() < 250
    assert button.heightForWidth(250) > 2 * QPushButton("x").sizeHint().height()


def test_a_row_of_buttons_wraps_onto_a_second_line(qapp, qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    row = FlowLayout(holder)
    buttons = [QPushButton(f"A button with some text {i}") for i in range(4)]
    for button in buttons:
        row.addWidget(button)
    widest = max(b.sizeHint().width() for b in buttons)
    assert row.minimumSize().width() == widest  # never more than one button's width
    one_line = row.heightForWidth(row.sizeHint().width())
    assert row.heightForWidth(widest + 10) > 3 * one_line  # one button a line
    holder.resize(widest + 10, row.heightForWidth(widest + 10))
    holder.show()
    tops = sorted({b.geometry().top() for b in buttons})
    assert len(tops) == 4 and all(b.geometry().right() < holder.width() for b in buttons)
