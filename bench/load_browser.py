"""The app under load, browser side: Debian's Chromium through Playwright's asyncio API.

One Chromium process serves every simulated user; each user is a separate browser *context* (own
cookies and storage, so its own ``?ws=`` workspace and its own Streamlit session), all driven from one
asyncio event loop, so N sessions act at the same time without N Python threads.

Timing a slider move (:meth:`SliderSession.move`): a script in the page (``_WATCH_JS``) notes the time
of the key press (a capturing ``keydown`` listener, in the page's own clock) and, from a
``MutationObserver``, the first moment after it when every "Variants" preview image has a new ``src``
and the app shows nothing as still running (no element marked ``data-stale`` and no status widget).
The latency is the difference of those two page-clock times, so it does not include Playwright's
round trips; it includes all a user waits for: the slider's input handling, the rerun on the server and
the delivery of the new images.
"""

from __future__ import annotations

import re

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
WS_IN_URL = re.compile(r"[?&]ws=([0-9a-f]{32})")
STATUS_LINE = re.compile(r"^(Queued|Starting|Running|Finished|Stopped|Failed)\b")
ENDED_LINE = re.compile(r"^(Finished|Stopped|Failed) ·")
LOAD_TIMEOUT_MS = 120_000
SETTLED_JS = (
    "() => document.querySelector('[data-stale=\"true\"]') === null"
    " && document.querySelector('[data-testid=\"stStatusWidget\"]') === null"
)

_WATCH_JS = """() => {
  if (window.__loadBench) return;
  const variants = () => [...document.querySelectorAll('[data-testid="stImage"]')]
    .filter(e => (e.querySelector('[data-testid="stImageCaption"]')?.textContent || '')
      .startsWith('Variants'))
    .map(e => e.querySelector('img')?.getAttribute('src') || '');
  const settled = () => document.querySelector('[data-stale="true"]') === null
    && document.querySelector('[data-testid="stStatusWidget"]') === null;
  const w = window.__loadBench = {
    armed: false, before: [], t0: null, done: null,
    arm() { this.before = variants(); this.t0 = null; this.done = null; this.armed = true; },
    check() {
      if (this.armed && this.t0 !== null && this.done === null) {
        const now = variants();
        if (now.length > 0 && now.length === this.before.length
            && now.every((src, i) => src && src !== this.before[i]) && settled()) {
          this.done = performance.now();
          this.armed = false;
        }
      }
      return this.done !== null;
    },
  };
  window.addEventListener('keydown', () => { if (w.armed && w.t0 === null) w.t0 = performance.now(); }, true);
  new MutationObserver(() => w.check()).observe(document.body,
    {subtree: true, childList: true, attributes: true, attributeFilter: ['src', 'data-stale']});
}"""


async def launch(playwright):
    """Debian's Chromium, headless (Playwright's own browser download does not work on these machines)."""
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


# Console errors that say nothing about load: Streamlit's frontend first asks for ``/<page>/_stcore/health``
# and ``host-config`` when a page is opened by its own URL (404, then it tries the root), and the page
# icon (``:material/science:``) is fetched from Google's font server, which these machines cannot reach.
_NOISE = (re.compile(r"/[a-z]+/_stcore/(health|host-config)$"), re.compile(r"^https://fonts\.gstatic\.com/"))
# Media files are named by their content's hash; one message per kind of failure, not per image.
_MEDIA = re.compile(r"/media/[0-9a-f]{16,}\.")


class Problems:
    """What went wrong in the pages: JavaScript errors, console errors, crashes, app exceptions, timeouts.

    Each message is counted with the sessions it came from, so a report says it once.
    """

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}  # message -> the session of each time it was seen

    def add(self, where: str, message: str) -> None:
        message = _MEDIA.sub("/media/<hash>.", " ".join(message.split()))
        self.seen.setdefault(message[:300], []).append(where)

    def _console(self, where: str, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if not any(pattern.search(url) for pattern in _NOISE):
            self.add(where, f"console error: {msg.text}" + (f" ({url})" if url else ""))

    def watch(self, page, where: str) -> None:
        page.on("pageerror", lambda exc: self.add(where, f"JavaScript error: {exc}"))
        page.on("crash", lambda _: self.add(where, "the page crashed"))
        page.on("console", lambda msg: self._console(where, msg))

    async def check_exceptions(self, page, where: str) -> None:
        """Record the app's exception boxes (``stException``) on ``page``, if any."""
        boxes = page.locator('[data-testid="stException"]')
        for i in range(await boxes.count()):
            self.add(where, f"exception on the page: {await boxes.nth(i).inner_text()}")

    def lines(self) -> list[str]:
        """One line per message, the most frequent first."""
        found = []
        for message, sessions in sorted(self.seen.items(), key=lambda item: -len(item[1])):
            distinct = list(dict.fromkeys(sessions))
            where = distinct[0] if len(distinct) == 1 else f"{len(distinct)} sessions, first {distinct[0]}"
            found.append(f"{message} ({len(sessions)}x; {where})")
        return found


async def _new_page(browser, problems: Problems, where: str):
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    problems.watch(page, where)
    return context, page


def workspace_of(page) -> str:
    """The workspace id in the page's URL."""
    match = WS_IN_URL.search(page.url)
    if match is None:
        raise RuntimeError(f"no ?ws= workspace id in {page.url}")
    return match.group(1)


class SliderSession:
    """A user on the Images page (the default built-in sample and preset) moving the rotation slider."""

    def __init__(self, context, page, name: str) -> None:
        self.context, self.page, self.name = context, page, name

    @classmethod
    async def open(cls, browser, url: str, name: str, problems: Problems) -> SliderSession:
        """A new browser context on ``url``/images with its first preview drawn and the watcher installed."""
        context, page = await _new_page(browser, problems, name)
        await page.goto(f"{url}/images")
        await page.wait_for_url(WS_IN_URL, timeout=LOAD_TIMEOUT_MS)
        await page.get_by_text(re.compile(r"^Variants v0")).first.wait_for(timeout=LOAD_TIMEOUT_MS)
        await page.wait_for_function(SETTLED_JS, timeout=LOAD_TIMEOUT_MS)
        await page.evaluate(_WATCH_JS)
        return cls(context, page, name)

    @property
    def thumb(self):
        widget = self.page.locator('[data-testid="stSlider"]').filter(has_text="Rotation range")
        return widget.get_by_role("slider")

    async def move(self, key: str = "ArrowRight", timeout_s: float = 60.0) -> float | None:
        """Press ``key`` on the rotation slider; seconds until the new preview is shown (None: never, within
        ``timeout_s``)."""
        await self.page.evaluate("window.__loadBench.arm()")
        await self.thumb.press(key)
        try:
            await self.page.wait_for_function(
                "window.__loadBench.check()", polling=100, timeout=timeout_s * 1000
            )
        except Exception:  # playwright's TimeoutError, or the page went away
            return None
        return await self.page.evaluate("(window.__loadBench.done - window.__loadBench.t0) / 1000")

    async def close(self) -> None:
        await self.context.close()


class GanSession:
    """A user on the GAN page (the built-in digits and the page's default settings)."""

    def __init__(self, context, page, name: str) -> None:
        self.context, self.page, self.name = context, page, name
        self.ws = workspace_of(page)

    @classmethod
    async def open(cls, browser, url: str, name: str, problems: Problems) -> GanSession:
        context, page = await _new_page(browser, problems, name)
        await page.goto(f"{url}/gan")
        await page.wait_for_url(WS_IN_URL, timeout=LOAD_TIMEOUT_MS)
        await page.get_by_role("button", name="Start training").wait_for(timeout=LOAD_TIMEOUT_MS)
        await page.wait_for_function(SETTLED_JS, timeout=LOAD_TIMEOUT_MS)
        return cls(context, page, name)

    async def _settle(self) -> None:
        await self.page.wait_for_timeout(300)  # the rerun a widget change asks for starts a moment later
        await self.page.wait_for_function(SETTLED_JS, timeout=LOAD_TIMEOUT_MS)

    async def set_seconds(self, seconds: int) -> None:
        """Set the sidebar's "Seconds" budget with the keyboard (the slider moves in steps of 5 s)."""
        widget = self.page.locator('[data-testid="stSlider"]').filter(has_text=re.compile(r"^Seconds"))
        thumb = widget.get_by_role("slider")
        now = int(float(await thumb.input_value()))
        key = "ArrowRight" if seconds > now else "ArrowLeft"
        for _ in range(abs(seconds - now) // 5):
            await thumb.press(key)
        await self.page.wait_for_function(
            "(want) => [...document.querySelectorAll('[data-testid=stSlider]')].some(e =>"
            " e.innerText.startsWith('Seconds')"
            " && e.querySelector('[data-testid=stSliderThumbValue]')?.innerText === want)",
            arg=str(seconds),
            timeout=LOAD_TIMEOUT_MS,
        )
        await self._settle()

    async def set_steps(self, steps: int) -> None:
        """Stop after ``steps`` steps instead of a time budget (the sidebar's "Stop after" choice)."""
        await self.page.get_by_text("steps", exact=True).click()
        box = self.page.get_by_label("Steps")
        await box.wait_for(timeout=LOAD_TIMEOUT_MS)
        await box.fill(str(steps))
        await box.press("Enter")
        await self._settle()

    async def start(self) -> None:
        """Click "Start training" and wait until the page shows the job (queued, starting or running)."""
        await self.page.get_by_role("button", name="Start training").click()
        await self.page.get_by_text(STATUS_LINE).first.wait_for(timeout=LOAD_TIMEOUT_MS)

    async def wait_ended(self, timeout_s: float) -> str:
        """Wait until the page says the run ended, then for the page's redraw after it; returns the line."""
        line = self.page.get_by_text(ENDED_LINE).first
        await line.wait_for(timeout=timeout_s * 1000)
        text = await line.inner_text()
        if text.startswith("Finished"):  # the model's controls come with the redraw after the end
            await self.page.get_by_role("button", name="Generate into the pool").wait_for(
                timeout=LOAD_TIMEOUT_MS
            )
        await self.page.wait_for_function(SETTLED_JS, timeout=LOAD_TIMEOUT_MS)
        return text

    async def close(self) -> None:
        await self.context.close()
