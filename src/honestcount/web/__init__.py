"""The public site: every page in three languages with its JSON twin, open data and a static
copy.

* :func:`honestcount.web.routes.router`: the live site on a store (module-level routers in
  ``routes`` and ``pages_stations``, request handling in ``http``).
* :func:`honestcount.web.publish.publish`: the same pages as static files.
* ``site`` (the lean per-election snapshot), ``station`` (one station's page), ``views`` (the
  document behind each page), ``search`` (script-folding station search), ``opendata``,
  ``privacy`` (what may be shown of the intake's counts), ``render`` and ``i18n``.

Estimates and forensics are read from :mod:`honestcount.analyses` (stored runs), never
computed here with parameters of the site's own.
"""
