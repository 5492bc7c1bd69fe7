"""The five convolution lessons in a real browser: change one setting on each and check the result."""

from browser_helpers import (assert_no_exception, enter_text, open_page, rerun, screenshot, wait_for_images,
                             wait_until_idle)


def slider(page, label):
    """The thumb of the slider whose label contains `label` (keyboard arrows move it)."""
    return page.locator("[data-testid='stSlider']").filter(has_text=label).locator("input[type='range']").first


def nudge(page, label, key, times=1):
    thumb = slider(page, label)
    thumb.focus()
    with rerun(page):
        for _ in range(times):
            thumb.press(key)


def test_conv1d_new_kernel_gives_new_outputs(app_server, page):
    open_page(page, f"{app_server}/conv1d")
    assert "0, 1, 1, 3, 5, 2, 8" in page.locator("code").first.inner_text()
    box = page.get_by_role("textbox", name="Kernel w")
    enter_text(page, box, "1, 1")
    assert_no_exception(page)
    assert "full  = 0, 1, 3, 5, 7, 4" in page.locator("code").first.inner_text()
    enter_text(page, box, "1, x")
    assert "'x' in the kernel w is not a number" in page.locator("[data-testid='stAlert']").first.inner_text()
    screenshot(page, "conv1d_bad_kernel")


def test_conv1d_longest_signal_scrolls_sideways_with_readable_cells(app_server, page):
    forty = ",".join(str(i % 9 - 4) for i in range(40))
    open_page(page, f"{app_server}/conv1d?x={forty}&w={forty}&pos=78")
    assert_no_exception(page)
    # the padded signal has 118 cells: its own box scrolls, the page itself does not widen
    grid = page.locator("[data-testid='stMain'] table").first
    assert grid.locator("td").count() == 118
    assert min(grid.locator("td").evaluate_all("tds => tds.map(td => td.getBoundingClientRect().width)")) >= 30
    box = grid.locator("xpath=..")
    assert box.evaluate("d => d.scrollWidth > d.clientWidth + 1000")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "conv1d_forty_values")


def test_filter2d_step_through_moves_the_window(app_server, page):
    open_page(page, f"{app_server}/filter2d")
    nudge(page, "Output row", "ArrowRight")
    assert_no_exception(page)
    assert page.get_by_text("Output (1, 0) =").count() == 1
    assert page.get_by_text("= 2", exact=False).count() >= 1
    wait_for_images(page)
    screenshot(page, "filter2d_step_1_0")


def test_stride_3_on_7x7_does_not_fit(app_server, page):
    open_page(page, f"{app_server}/stride_padding")
    nudge(page, "Stride S", "ArrowRight", times=2)
    assert_no_exception(page)
    warning = page.locator("[data-testid='stAlert']").filter(has_text="do not fit").inner_text()
    assert "6" in warning.split("never seen")[1]
    assert page.locator("[data-testid='stMetricValue']").first.inner_text() == "2 x 2"
    screenshot(page, "stride_padding_misfit")


def test_volumes_fewer_filters_fewer_weights(app_server, page):
    open_page(page, f"{app_server}/volumes")
    values = page.locator("[data-testid='stMetricValue']")
    assert values.nth(1).inner_text() == "760"
    nudge(page, "Filters K", "ArrowLeft")
    assert_no_exception(page)
    assert values.nth(0).inner_text() == "28 x 28 x 9"
    assert values.nth(1).inner_text() == "684"  # (5*5*3 + 1) * 9
    wait_for_images(page)
    screenshot(page, "volumes_9_filters")


def test_layer_calculator_vgg16_preset(app_server, page):
    open_page(page, f"{app_server}/layer_calculator?preset=VGG-16")
    assert_no_exception(page)
    total = page.locator("[data-testid='stMetric']").filter(has_text="Total parameters")
    assert total.locator("[data-testid='stMetricValue']").inner_text() == "138,357,544"
    page.locator("[data-testid='stSelectbox']").filter(has_text="Start from").click()
    page.get_by_role("option", name="LeNet-5").click()
    wait_until_idle(page)
    assert_no_exception(page)
    assert total.locator("[data-testid='stMetricValue']").inner_text() == "61,706"
    screenshot(page, "layer_calculator_lenet")
