"""English plural forms for Qt's counted translations.

Words that name a count are written `self.tr("%n riddle(s)", "", n)`: Qt puts the number in for %n
and asks the installed translators for the form that suits it. English ships built in, with no
translation file, so without a translator Qt would show "1 riddle(s)". This translator gives the
English forms ("1 riddle", "2 riddles") by the one rule the sources follow: "(s)" is the plural
ending. It is installed first, so a real translation installed after it (resources/i18n) wins.

A rule in code rather than a riddlewire_en.qm from lupdate: lupdate cannot see the context of
`tr = self.tr` aliases, and a generated file would have to be rebuilt each time anyone adds a
counted sentence; the rule covers every such sentence the moment it is written."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTranslator

_MARK = "riddlewirePluralsInstalled"


class EnglishPlurals(QTranslator):
    def translate(  # noqa: D102 - Qt's virtual
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        if n < 0 or not source or "(s)" not in source:
            return None  # a null string: not translated here (ask the next translator, or keep the source)
        return english_form(source, n)

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return False


def english_form(source: str, n: int) -> str:
    """ "%n riddle(s)" for n: "(s)" dropped for one, "s" for any other number (Qt fills in %n)."""
    return source.replace("(s)", "" if n == 1 else "s")


def install_english_plurals(app: QCoreApplication) -> None:
    """Once per application, before any other translator (later ones take precedence)."""
    if app.property(_MARK):
        return
    translator = EnglishPlurals(app)
    app.installTranslator(translator)
    app.setProperty(_MARK, True)
