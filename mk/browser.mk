# Headless Chromium for the browser tests (tests/browser, marker `browser`): Debian's package, driven by
# Playwright for Python with executable_path=/usr/bin/chromium — no browser download, ever.
# Also poppler-utils (pdftotext), with which the tests read the selection's PDF.
# Included by the main Makefile (include mk/*.mk); `make test` depends on `browser`.

.PHONY: browser test-browser

## Install Debian's chromium (and pdftotext) when missing
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)
	@command -v pdftotext >/dev/null || (apt-get update && apt-get install -y --no-install-recommends poppler-utils)

## Only the browser tests (journeys, axe-core, keyboard); screenshots in test-artifacts/screenshots/
test-browser: install assets browser
	$(BIN)/pytest -m browser tests/browser
