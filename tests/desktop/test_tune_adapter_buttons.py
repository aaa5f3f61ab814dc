"""Issue 21: the Train page's adapter buttons looked usable with an empty list."""

from __future__ import annotations


def test_adapter_buttons_are_off_until_an_adapter_is_chosen(make_window, qtbot):
    window = make_window()
    page = window.page("tune")
    qtbot.waitUntil(lambda: page.op is not None and page.op.done, timeout=20_000)
    assert page.adapters.count() == 0
    assert not any(button.isEnabled() for button in page.adapter_buttons.values())
