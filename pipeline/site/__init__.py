"""The static release site: browse releases, download their files, read a candidate's report.

Scope: turn what is under an outputs folder (``releases/``, ``staging/``) into plain HTML pages under
``outputs/site/`` that any web server can serve, with every script and style inside the folder, and
serve that folder locally. Modules: ``collect`` (read releases and the candidate into typed
records), ``charts`` (inline SVG), ``build`` (render and place files), ``serve`` (http.server),
``screenshot`` (Playwright screenshots for the docs). It must not change releases or the candidate,
validate data, or compute versions; no work happens at import time.
"""
