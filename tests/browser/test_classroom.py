"""A class in real browsers: a teacher starts it, two students join from the home page, the board
shows them, and a page the teacher sends appears as a banner for both and opens with its settings."""

import re

from browser_helpers import assert_no_exception, enter_text, open_page, screenshot, wait_until_idle

ODD_NAME = "<script>window.pwned=1</script> **Bo**"


def join(page, base, code, name):
    open_page(page, base)
    page.get_by_text("In a class? Join it").click()
    page.get_by_label("Class code").fill(code)
    enter_text(page, page.get_by_label("Your name, as the teacher will see it"), name)
    page.get_by_role("button", name="Join").click()
    page.wait_for_selector("text=You are in the class", timeout=30_000)
    wait_until_idle(page)
    assert_no_exception(page)


def test_a_teacher_sends_two_students_to_a_page(app_server, browser):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 1400}) for _ in range(3)]
    teacher, ana, bo = (c.new_page() for c in contexts)
    try:
        open_page(teacher, f"{app_server}/teacher")
        enter_text(teacher, teacher.get_by_label("Name of the class"), "Period 3")
        teacher.get_by_role("button", name="Start the class").click()
        teacher.wait_for_selector("text=shown only this once", timeout=30_000)
        wait_until_idle(teacher)
        board_text = teacher.locator("[data-testid='stMain']").inner_text()
        code = re.search(r"code \*?\*?([0-9A-Z]{4}-[0-9A-Z]{4})", board_text).group(1)

        join(ana, app_server, code, "Ana")
        join(bo, app_server, code, ODD_NAME)
        assert "**Bo**" in bo.locator("[data-testid='stAlert']").first.inner_text()  # shown as typed
        ana.get_by_role("link", name="Pooling").first.click()  # a lesson page, still in the class
        ana.wait_for_url(re.compile(r"/pooling"))
        wait_until_idle(ana)

        # the board refreshes by itself and lists both students, the odd name as plain text
        teacher.wait_for_function("() => document.body.innerText.includes('2 of 100')", timeout=30_000)
        wait_until_idle(teacher)
        screenshot(teacher, "class_board")
        assert teacher.evaluate("() => window.pwned") is None and bo.evaluate("() => window.pwned") is None

        enter_text(teacher, teacher.get_by_label("or paste a page's address, with its settings"),
                   f"{app_server}/stride_padding?n=7&f=3&stride=3&padding=0")
        teacher.get_by_role("button", name="Send the class there").click()
        wait_until_idle(teacher)
        assert_no_exception(teacher)

        for student in (ana, bo):  # the banner arrives within a refresh, without a reload
            student.wait_for_selector("text=Your teacher sends the class to", timeout=30_000)
            assert_no_exception(student)
        screenshot(bo, "class_banner")
        link = ana.locator("[data-testid='stMain']").get_by_role("link", name=re.compile("Stride, padding"))
        href = link.get_attribute("href")
        assert "stride=3" in href and "student=" in href
        ana.goto(re.sub(r"^(?!http)", f"{app_server}/", href))
        wait_until_idle(ana)
        assert_no_exception(ana)
        assert "/stride_padding" in ana.url and "student=" in ana.url
        assert "stride=3" in ana.url  # the page took the teacher's settings (its default stride is 1)
        assert ana.locator("[data-testid='stSidebar']").get_by_text("as Ana").count() == 1
        assert ana.get_by_text("Your teacher sends the class to").count() == 0  # followed: put away
        screenshot(ana, "class_pushed_page")
    finally:
        for c in contexts:
            c.close()
