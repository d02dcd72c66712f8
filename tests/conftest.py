"""Run the browser tests last.

Playwright's sync API keeps an asyncio event loop marked as running in the main
thread for as long as a browser is open (the browser fixtures are session-scoped).
Widgets schedule their redraws on a running loop, as they must inside a Jupyter
kernel, so unit tests that ran after the browser opened would wait for a loop that
never spins. Ordering is also friendlier: the fast tests report first.
"""

from pathlib import Path

BROWSER = Path(__file__).resolve().parent / "browser"


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: Path(str(item.path)).is_relative_to(BROWSER))
