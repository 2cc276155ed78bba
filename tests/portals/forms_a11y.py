"""What the browser tests check of a form refused or saved (issue 11): the errors are
announced and linked, the result of a save is announced."""

from __future__ import annotations

from typing import Any


async def expect_error_announced(page: Any, name: str, message: str | None = None) -> None:
    """The page refused its form for field ``name``: its title starts with "Erreur", a
    role=alert summary links to the field (``#champ-NAME``), and the field (each button of a
    radio group) is aria-invalid and described by its message ``#erreur-NAME``."""
    from playwright.async_api import expect

    assert (await page.title()).startswith("Erreur — "), await page.title()
    summary = page.locator('#erreurs[role="alert"]')
    await expect(summary).to_be_visible()
    link = summary.locator(f'a[href="#champ-{name}"]')
    await expect(link).to_have_count(1)
    error = page.locator(f"#erreur-{name}")
    await expect(error).to_be_visible()
    text = (await error.inner_text()).strip()
    assert text, f"the message of {name} is empty"
    if message is not None:
        assert message in text, text
    await expect(link).to_have_text(text)
    target = page.locator(f"#champ-{name}")
    tag = await target.evaluate("(e) => e.tagName")
    controls = page.locator(f'#champ-{name} input[name="{name}"]') if tag == "FIELDSET" else target
    count = await controls.count()
    assert count >= 1
    for index in range(count):
        control = controls.nth(index)
        await expect(control).to_have_attribute("aria-invalid", "true")
        described = (await control.get_attribute("aria-describedby") or "").split()
        assert f"erreur-{name}" in described, (name, described)


async def follow_summary_link(page: Any, name: str) -> None:
    """From the keyboard: the summary's link to ``name`` takes the focus to the field."""
    link = page.locator(f'#erreurs a[href="#champ-{name}"]')
    await link.focus()
    await page.keyboard.press("Enter")
    focused = await page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused == f"champ-{name}", focused


async def expect_result_announced(page: Any, message: str, focused: bool = True) -> None:
    """A save's result: shown in the box ``#resultat``, which has the focus once the page has
    loaded (a role=status present at load is not read). A page opened on a fragment (back to
    the part of a long page that was saved) keeps the browser's scroll to it, and autofocus
    does not apply: its title carries the result instead (``focused`` False)."""
    from playwright.async_api import expect

    result = page.locator("#resultat")
    await expect(result).to_contain_text(message)
    if focused:
        await expect(result).to_be_focused()
    else:
        assert (await page.title()).startswith(message), await page.title()


async def tab_to(page: Any, selector: str, limit: int = 60) -> int:
    """Press Tab until the focus is on ``selector``; how many presses it took."""
    for presses in range(1, limit + 1):
        await page.keyboard.press("Tab")
        if await page.evaluate(
            "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
        ):
            return presses
    raise AssertionError(f"{selector} not reached in {limit} Tab presses")
