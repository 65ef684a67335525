"""A GAN run in a real browser goes on through a reload and through a restart of the server: the run lives
in a worker process and the job table, the page finds it again by the link's ``?ws=``."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
from pathlib import Path

import pytest
from conftest import running_app

pytestmark = pytest.mark.browser

WS_IN_URL = re.compile(r"[?&]ws=([0-9a-f]{32})")
RUNNING = re.compile(r"Running · step ([\d,]+)")


def _steps(page, above: int = -1, timeout_s: float = 90) -> int:
    """Wait until the progress bar says the run is going at a step above ``above``; return that step."""
    handle = page.wait_for_function(
        """(above) => {
            const m = document.body.innerText.match(/Running · step ([\\d,]+)/);
            return m && Number(m[1].replaceAll(',', '')) > above ? Number(m[1].replaceAll(',', '')) : null;
        }""",
        arg=above,
        timeout=timeout_s * 1000,
    )
    return int(handle.json_value())


def _workers(home: Path) -> list[tuple[int, str, int | None]]:
    """(job id, status, worker pid) of every job, read from the workspace database on disk."""
    with sqlite3.connect(home / "auglab.sqlite3") as db:
        return list(db.execute("SELECT id, status, pid FROM jobs ORDER BY id"))


def test_a_gan_run_goes_on_through_a_reload_and_a_server_restart(browser, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"AUGLAB_HOME": str(home)}
    try:
        with running_app(tmp_path / "first.log", env) as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/gan")
            page.wait_for_url(WS_IN_URL, timeout=60_000)
            ws = WS_IN_URL.search(page.url).group(1)
            sliders = page.locator('[data-testid="stSlider"]')
            sliders.filter(has_text="Seconds").get_by_role("slider").focus()
            page.keyboard.press("End")  # 600 s: the run must outlast a reload and a restart on a busy machine
            page.wait_for_function("() => document.body.innerText.includes('600')", timeout=30_000)
            page.get_by_role("button", name="Start training").click()
            before_reload = _steps(page)

            page.reload()  # F5 mid-run: the same workspace, the run still going and counting on
            assert WS_IN_URL.search(page.url).group(1) == ws
            after_reload = _steps(page, above=before_reload)
            assert page.locator('[data-testid="stException"]').count() == 0
            page.close()

        # The server is gone; its worker is not.
        ((job_id, status, pid),) = _workers(home)
        assert status == "running" and pid is not None
        os.kill(pid, 0)  # raises when the worker died with the server

        with running_app(tmp_path / "second.log", env) as url:  # a new server on the same home
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/gan?ws={ws}")
            _steps(page, above=after_reload)  # the same run, found again and still counting
            page.get_by_role("button", name="Stop").click()
            page.get_by_text(re.compile(r"^Stopped · step")).wait_for(timeout=30_000)
            resume = page.get_by_role("button", name="Resume")  # its checkpoint is the model now
            resume.wait_for(timeout=30_000)
            line = page.get_by_text(re.compile(r"^Stopped · step")).inner_text()
            stopped = int(line.split()[3].replace(",", ""))
            resume.click()  # a new job from the checkpoint, counting on from where the first stopped
            _steps(page, above=stopped)
            page.get_by_role("button", name="Stop").click()
            page.get_by_text(re.compile(r"^Stopped · step")).wait_for(timeout=30_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            page.close()
        assert [(j, s) for j, s, _ in _workers(home)] == [(job_id, "stopped"), (job_id + 1, "stopped")]
    finally:  # never leave a worker training after the test
        for _, status, pid in _workers(home) if (home / "auglab.sqlite3").exists() else []:
            if status == "running" and pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
