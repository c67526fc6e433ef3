"""Each script and stylesheet once per page.

Extensions that add an inline script after the HTML builder has started (sphinx-thebe's
``const THEBE_JS_URL = ...`` in ``env-before-read-docs``, sphinx-togglebutton's selector in
``builder-inited``) end up twice in every page, and a second ``const`` declaration is a
JavaScript error ("Identifier 'THEBE_JS_URL' has already been declared"). The copies differ
only in Sphinx's bookkeeping (filename None or ""), so Sphinx's own de-duplication misses them;
this drops every later copy of a file or inline body, after all extensions have added theirs.
"""


def _key(asset):
    # An inline script's filename is None when added before the builder started and "" after.
    filename = getattr(asset, "filename", asset) or ""
    body = (getattr(asset, "attributes", None) or {}).get("body", "")
    return filename, body


def _unique(assets):
    seen, kept = set(), []
    for asset in assets:
        key = _key(asset)
        if key not in seen:
            seen.add(key)
            kept.append(asset)
    return kept


def dedupe_assets(app, pagename, templatename, context, doctree):
    for name in ("script_files", "css_files"):
        if name in context:
            # A new list: the builder restores its own after each page.
            context[name] = _unique(context[name])


def setup(app):
    # Late (default priority is 500): after MathJax, myst-nb and the theme have added theirs.
    app.connect("html-page-context", dedupe_assets, priority=990)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
